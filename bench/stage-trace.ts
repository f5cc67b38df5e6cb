/**
 * Where a proxied chat completion's time to first byte goes, measured inside the server: loaded
 * into it with `--import` (`BENCH_STAGES=1 npm run bench:chat`, `BENCH_STAGES=1 npm run
 * bench:first-token`), it follows each POST whose path matches BENCH_STAGES_ROUTE (a regular
 * expression, default `^/v1/chat/completions`) through Node's and undici's diagnostics channels
 * and, when the process exits, writes one JSON line per request to BENCH_STAGES_FILE. With
 * BENCH_STAGES_FIRST set, the first byte is the first write holding that text (a streamed turn's
 * first `text-delta` event rather than its headers). The stages, in ms:
 * - `pre`: request received → the upstream request created (parse, auth, limits, model lookup);
 * - `queue`: created → its headers written to the socket (undici's wait for a connection, and
 *   its check of an idle keep-alive socket, which waits one event-loop turn);
 * - `wire`: written → the upstream's response headers read (the provider, and this event loop
 *   getting round to the read);
 * - `post`: response headers → the first byte written to the client (for a JSON completion, the
 *   whole answer: it is written once the upstream stream has ended).
 * Bench-only: nothing under src/ loads it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Trace {
  at: number;
  received: number;
  created?: number;
  sent?: number;
  headers?: number;
  firstWrite?: number;
}

const file = process.env.BENCH_STAGES_FILE;
const route = new RegExp(process.env.BENCH_STAGES_ROUTE || '^/v1/chat/completions');
const firstText = process.env.BENCH_STAGES_FIRST;
const traces = new AsyncLocalStorage<Trace>();
const byRequest = new WeakMap<object, Trace>();
const done: Trace[] = [];

if (file) {
  subscribe('http.server.request.start', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (request.method !== 'POST' || !route.test(request.url ?? '')) return;
    const trace: Trace = { at: Date.now(), received: performance.now() };
    // The request handler runs after this, in the same synchronous turn: its async work inherits it.
    traces.enterWith(trace);
    const mark = (chunk: unknown) => {
      if (trace.firstWrite !== undefined) return;
      if (firstText && !((typeof chunk === 'string' || Buffer.isBuffer(chunk)) && chunk.includes(firstText))) return;
      trace.firstWrite = performance.now();
      done.push(trace);
    };
    // The first of writeHead, write or end is the first byte that can leave for the client (with
    // BENCH_STAGES_FIRST, the first write or end holding that text).
    for (const method of ['writeHead', 'write', 'end'] as const) {
      const original = response[method] as (...args: unknown[]) => unknown;
      response[method] = function (this: ServerResponse, ...args: unknown[]) {
        mark(args[0]);
        return original.apply(this, args);
      } as never;
    }
  });
  subscribe('undici:request:create', (message) => {
    const trace = traces.getStore();
    if (!trace || trace.created !== undefined) return;
    trace.created = performance.now();
    byRequest.set((message as { request: object }).request, trace);
  });
  subscribe('undici:client:sendHeaders', (message) => {
    const trace = byRequest.get((message as { request: object }).request);
    if (trace && trace.sent === undefined) trace.sent = performance.now();
  });
  subscribe('undici:request:headers', (message) => {
    const trace = byRequest.get((message as { request: object }).request);
    if (trace && trace.headers === undefined) trace.headers = performance.now();
  });
  process.once('exit', () => {
    const lines = done
      .filter((trace) => trace.created && trace.sent && trace.headers && trace.firstWrite)
      .map((trace) =>
        JSON.stringify({
          at: trace.at,
          pre: (trace.created as number) - trace.received,
          queue: (trace.sent as number) - (trace.created as number),
          wire: (trace.headers as number) - (trace.sent as number),
          post: (trace.firstWrite as number) - (trace.headers as number),
        }),
      );
    appendFileSync(file, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  });
}
