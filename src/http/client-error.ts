import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, type ErrorCode } from '../core/errors.ts';
import { toProblem } from './plugins/error-handler.ts';

/** How long a refused connection may keep sending (its bytes are read and dropped) before it is cut. */
const LINGER_MS = 2_000;

/** Connections already answered, so that a further parser error on one never writes a second answer. */
const answered = new WeakSet<Socket>();

/** Node's HTTP parser errors, by the code we answer with; everything else it refuses is MALFORMED_REQUEST. */
function classify(error: NodeJS.ErrnoException): { code: ErrorCode; detail: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return { code: 'HEADERS_TOO_LARGE', detail: 'The request line and headers are larger than the server accepts' };
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { code: 'REQUEST_TIMEOUT', detail: 'The request was not received in time' };
  return { code: 'MALFORMED_REQUEST', detail: `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'})` };
}

/**
 * Answers a request that Node's HTTP parser refused (bad framing, a NUL or bad character in a
 * header, headers too large, too slow) with problem+json instead of node's or Fastify's bare
 * answer, then closes the connection: nothing after the broken request can be framed safely.
 * The answer is written before our side ends, and whatever the client still sends is read and
 * dropped for a short while, so a client busy uploading reads the answer rather than a reset.
 */
export function answerClientError(
  log: FastifyBaseLogger,
  error: NodeJS.ErrnoException,
  socket: Socket,
  onAnswer: (status: number) => void = () => {},
): void {
  // A reset connection has nobody to answer; a second parser error on the same socket is already answered.
  if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  // A pipelined request broke while an earlier answer (an SSE stream, say) is being written: writing
  // ours would corrupt that one, so the connection is only cut, as node itself does.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const { code, detail } = classify(error);
  const problem = toProblem(new AppError(code, detail), randomUUID());
  log.info({ code, reason: error.code, request_id: problem.request_id }, 'client error');
  onAnswer(problem.status);
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-ID: ${problem.request_id}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  lingerThenClose(socket);
}

function lingerThenClose(socket: Socket): void {
  socket.end();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * An `Expect` header other than `100-continue`: 417 EXPECTATION_FAILED as problem+json (node would
 * answer with an empty body). The request body is read and dropped unparsed; the connection closes after the answer.
 */
export function answerExpectation(
  request: IncomingMessage,
  response: ServerResponse,
  onAnswer: (status: number) => void = () => {},
): void {
  const problem = toProblem(
    new AppError('EXPECTATION_FAILED', 'Only "Expect: 100-continue" is supported'),
    randomUUID(),
  );
  response.shouldKeepAlive = false;
  response.writeHead(problem.status, {
    'content-type': 'application/problem+json; charset=utf-8',
    'x-request-id': problem.request_id,
    connection: 'close',
  });
  response.end(JSON.stringify(problem));
  request.resume();
  onAnswer(problem.status);
}
