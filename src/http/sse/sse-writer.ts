import type { ServerResponse } from 'node:http';

/**
 * Writes Server-Sent Events to a raw response. Turn events carry their turn's `seq` as the SSE
 * `id`, so a client that reconnects can send it back as `Last-Event-ID`.
 */
export interface SseWriter {
  send(id: number, event: string, data: unknown): void;
  end(): void;
  /** True once the client has gone away or `end` was called. */
  readonly closed: boolean;
}

export interface SseWriterOptions {
  headers?: Record<string, string>;
  /**
   * After this long without a write, a `: ping` comment line goes out (and again after as long),
   * so proxies and clients do not take an idle stream for a dead one. 0 sends none.
   */
  heartbeatMs?: number;
}

export function createSseWriter(response: ServerResponse, options: SseWriterOptions = {}): SseWriter {
  // The headers and what is sent in the same tick (a turn's first event) leave in one write: one
  // system call and one wake-up of the client, not two.
  const socket = response.socket;
  socket?.cork();
  process.nextTick(() => socket?.uncork());
  // No `connection` header of our own: node:http answers `keep-alive`, or `close` (and closes the
  // socket after the stream) when the client sent `Connection: close` or the server is draining.
  // Setting `keep-alive` here would override both and hold the socket open until its idle timeout.
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    ...options.headers,
  });
  response.flushHeaders();
  let closed = false;
  const heartbeatMs = options.heartbeatMs ?? 0;
  // One timer per stream, pushed back by every write: only an idle stream gets pings.
  const heartbeat =
    heartbeatMs > 0
      ? setTimeout(function ping() {
          if (closed || response.writableEnded) return;
          response.write(': ping\n\n');
          heartbeat?.refresh();
        }, heartbeatMs)
      : null;
  heartbeat?.unref();
  const stop = () => {
    closed = true;
    if (heartbeat) clearTimeout(heartbeat);
  };
  response.on('close', stop);
  return {
    get closed() {
      return closed || response.writableEnded;
    },
    send(id, event, data) {
      if (closed || response.writableEnded) return;
      response.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      heartbeat?.refresh();
    },
    end() {
      stop();
      if (!response.writableEnded) response.end();
    },
  };
}
