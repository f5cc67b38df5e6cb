/**
 * A small OpenAI-compatible provider for the streaming and JSON benches, run as its own process:
 * `POST /v1/chat/completions` with `"stream": true` answers chat.completion.chunk events. The model
 * id sets the shape, `bench-<chunks>x<intervalMs>` (after any prefix: `gpt-4o-bench-3x1` makes
 * Enclave count with the `o200k_base` tokenizer): the first content chunk goes out at once, then
 * one more every `intervalMs`, then the finish and usage chunks and `[DONE]`. Without `"stream": true`
 * it answers one chat.completion with the same text and usage, once the stream would have ended
 * (`(chunks - 1) × intervalMs` later). `GET /health` answers 200.
 * One port speaks both HTTP/1.1 (the direct clients) and cleartext HTTP/2 (Enclave, as a provider
 * with `"http2": true`), told apart by the HTTP/2 connection preface.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createH2cServer, type Http2ServerRequest } from 'node:http2';
import { createServer as createTcpServer } from 'node:net';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

function chunk(id: string, delta: Record<string, unknown>, finish: string | null, usage: unknown = null): string {
  const body = {
    id,
    object: 'chat.completion.chunk',
    created: 1_741_570_283,
    model: 'bench',
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    usage,
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** What the fake uses of an HTTP/1.1 or HTTP/2 (compatibility API) response. */
interface Reply {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  write(chunk: string): unknown;
  end(chunk?: string): unknown;
  once(event: 'close', listener: () => void): unknown;
}

function shapeOf(model: string): { chunks: number; intervalMs: number } {
  const match = /(?:^|-)bench-(\d+)x(\d+)$/.exec(model);
  return { chunks: Math.max(1, Number(match?.[1] ?? 5)), intervalMs: Number(match?.[2] ?? 10) };
}

function completion(response: Reply, model: string, index: number): void {
  const { chunks, intervalMs } = shapeOf(model);
  const words = Array.from({ length: chunks - 1 }, (_, word) => ` word${word + 1}`).join('');
  const body = JSON.stringify({
    id: `chatcmpl-bench-${index}`,
    object: 'chat.completion',
    created: 1_741_570_283,
    model: 'bench',
    choices: [{ index: 0, message: { role: 'assistant', content: `Hello${words}` }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 20, completion_tokens: chunks, total_tokens: 20 + chunks },
  });
  const answer = () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  };
  if (chunks === 1) answer();
  else setTimeout(answer, (chunks - 1) * intervalMs);
}

function stream(response: Reply, model: string, index: number): void {
  const { chunks, intervalMs } = shapeOf(model);
  const id = `chatcmpl-bench-${index}`;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.write(chunk(id, { role: 'assistant', content: 'Hello' }, null));
  let sent = 1;
  const timer = setInterval(() => {
    if (sent < chunks) {
      response.write(chunk(id, { content: ` word${sent}` }, null));
      sent++;
      return;
    }
    clearInterval(timer);
    response.write(chunk(id, {}, 'stop'));
    response.end(
      `${chunk(id, {}, null, { prompt_tokens: 20, completion_tokens: chunks, total_tokens: 20 + chunks })}data: [DONE]\n\n`,
    );
  }, intervalMs);
  response.once('close', () => clearInterval(timer));
}

let requests = 0;
function handle(request: IncomingMessage | Http2ServerRequest, response: Reply): void {
  if (request.method === 'GET' && request.url === '/health') {
    response.end('ok');
    return;
  }
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    let body: { model?: unknown; stream?: unknown };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8')) as typeof body;
    } catch {
      response.writeHead(400);
      response.end();
      return;
    }
    (body.stream === true ? stream : completion)(response, String(body.model ?? ''), requests++);
  });
}

const http1 = createServer((request, response) => handle(request, response as Reply));
http1.keepAliveTimeout = 60_000;
http1.headersTimeout = 60_000;
http1.requestTimeout = 0;
const http2 = createH2cServer({ settings: { maxConcurrentStreams: 1_000 } }, (request, response) =>
  handle(request, response as unknown as Reply),
);
const PREFACE = Buffer.from('PRI * HTTP/2.0');
// The accepting server sets TCP_NODELAY: the sockets are handed to the HTTP servers by hand, so
// their own `noDelay` default never applies, and Nagle plus delayed ACKs held every chunk ~40 ms.
const server = createTcpServer({ noDelay: true }, (socket) => {
  socket.once('readable', () => {
    const head: Buffer | null = socket.read();
    if (!head) {
      socket.destroy();
      return;
    }
    socket.unshift(head);
    (head.subarray(0, PREFACE.length).equals(PREFACE) ? http2 : http1).emit('connection', socket);
  });
});
server.listen(port, host);
process.once('SIGTERM', () => {
  http1.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
});
