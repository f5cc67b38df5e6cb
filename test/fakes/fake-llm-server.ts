import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2cServer, type Http2ServerResponse, constants as h2 } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { encodeEventStreamMessage } from './event-stream.ts';

/** One request as the fake received it: what a test asserts on (which key was sent, what was asked). */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body (or the raw text when it is not JSON). */
  body: unknown;
  /** When it arrived (`Date.now()`), for tests of retry waits. */
  receivedAt: number;
  /** `1.1`, or `2.0` for an HTTP/2 fake. */
  httpVersion: string;
  /** Set when the client closed the connection before the answer ended (an aborted call). */
  aborted?: true;
}

/**
 * How the fake answers one request. With `fixture`, the body is the fixture's `json`, its `sse`
 * events when the request asked to stream (`"stream": true`), or its Bedrock `eventstream` events
 * for a `/converse-stream` path. Without one, `status` and `body` are sent as they are.
 */
export interface ScriptStep {
  fixture?: string;
  /** Inline SSE events (as a fixture's `sse`), sent when the request streams; for answers no fixture holds. */
  sse?: { event?: string; data: unknown }[];
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (for timeouts). */
  delayMs?: number;
  /** Streams only: send this many events, then half of the next one, then drop the connection. */
  cutAfterEvents?: number;
  /** Streams only: send this many events, then hold the connection open, never ending it (until the client leaves). */
  stallAfterEvents?: number;
  /** Streams only: replace this event's (0-based) data with JSON that does not parse. */
  malformedEvent?: number;
}

interface Fixture {
  json?: unknown;
  sse?: { event?: string; data: unknown }[];
  eventstream?: { eventType: string; payload: unknown }[];
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queues answers, one per coming request, in order. */
  script(...steps: ScriptStep[]): void;
  /** Connections (HTTP/2 sessions, for an HTTP/2 fake) opened to the fake so far. */
  connections(): number;
  /** Steps not used yet (a test that scripted more calls than happened can check this). */
  pending(): number;
  close(): Promise<void>;
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Writes `frames` one by one, honouring the cut and malformed options; resolves when done or cut. */
function writeFrames(response: Reply, frames: Buffer[], step: ScriptStep): void {
  for (const [index, frame] of frames.entries()) {
    if (index === step.stallAfterEvents) return;
    if (step.cutAfterEvents !== undefined && index === step.cutAfterEvents) {
      response.write(frame.subarray(0, Math.ceil(frame.length / 2)));
      // Destroying the socket mid-frame is what a dropped connection looks like to the client.
      setImmediate(() => response.cut());
      return;
    }
    response.write(frame);
  }
  response.end();
}

function sseFrames(events: NonNullable<Fixture['sse']>, step: ScriptStep): Buffer[] {
  return events.map((event, index) => {
    const data =
      index === step.malformedEvent
        ? '{"broken": '
        : typeof event.data === 'string'
          ? event.data
          : JSON.stringify(event.data);
    return Buffer.from(`${event.event ? `event: ${event.event}\n` : ''}data: ${data}\n\n`, 'utf8');
  });
}

/** What the fake uses of an HTTP/1.1 or HTTP/2 (compatibility API) response. */
interface Reply {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  write(chunk: Buffer | string): unknown;
  end(chunk?: string): unknown;
  once(event: 'close', listener: () => void): unknown;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  /** Drops the answer mid-way: the socket for HTTP/1.1, the stream (RST_STREAM) for HTTP/2. */
  cut(): void;
}

function replyOf(response: ServerResponse | Http2ServerResponse): Reply {
  const cut =
    'stream' in response
      ? () => response.stream.close(h2.NGHTTP2_INTERNAL_ERROR)
      : () => (response as ServerResponse).socket?.destroy();
  return Object.assign(response as unknown as Omit<Reply, 'cut'>, { cut });
}

/**
 * A local HTTP server speaking whatever wire format its fixtures hold, scripted per request.
 * `http2` makes it a cleartext HTTP/2 (h2c, prior knowledge) server instead of HTTP/1.1.
 */
export async function startFakeLlmServer(options: { http2?: boolean } = {}): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  const steps: ScriptStep[] = [];
  let connections = 0;
  const handle = async (request: IncomingMessage, response: Reply) => {
    const receivedAt = Date.now();
    const body = await readBody(request);
    const path = request.url ?? '/';
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path,
      headers: headersOf(request),
      body,
      receivedAt,
      httpVersion: request.httpVersion,
    };
    requests.push(recorded);
    response.once('close', () => {
      if (!response.writableEnded) recorded.aborted = true;
    });
    const step = steps.shift();
    if (!step) {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'fake: no scripted answer for this request' } }));
      return;
    }
    if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
    if (response.destroyed) return;
    if (!step.fixture && !step.sse) {
      response.writeHead(step.status ?? 200, { 'content-type': 'application/json', ...step.headers });
      response.end(typeof step.body === 'string' ? step.body : JSON.stringify(step.body ?? {}));
      return;
    }
    const fixture: Fixture = step.fixture ? loadFixture(step.fixture) : { sse: step.sse ?? [] };
    const wantsStream = typeof body === 'object' && body !== null && (body as { stream?: unknown }).stream === true;
    if (path.includes('/converse-stream')) {
      const events = fixture.eventstream ?? [];
      response.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', ...step.headers });
      const frames = events.map((event, index) =>
        encodeEventStreamMessage(
          event.eventType,
          index === step.malformedEvent ? '{"broken": ' : JSON.stringify(event.payload),
        ),
      );
      writeFrames(response, frames, step);
    } else if (wantsStream) {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...step.headers });
      writeFrames(response, sseFrames(fixture.sse ?? [], step), step);
    } else {
      response.writeHead(step.status ?? 200, { 'content-type': 'application/json', ...step.headers });
      response.end(JSON.stringify(fixture.json));
    }
  };
  // The HTTP/2 compatibility request has the members the fake reads (method, url, headers, body).
  const server = options.http2
    ? createH2cServer((request, response) => handle(request as unknown as IncomingMessage, replyOf(response)))
    : createServer((request, response) => handle(request, replyOf(response)));
  server.on(options.http2 ? 'session' : 'connection', () => {
    connections += 1;
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...more) => {
      steps.push(...more);
    },
    connections: () => connections,
    pending: () => steps.length,
    close: () =>
      new Promise((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
