import type { ServerResponse } from 'node:http';

/**
 * Writes Server-Sent Events to a raw response. Each event gets a monotonically increasing
 * `id`, so a client can tell what it has seen.
 */
export interface SseWriter {
  send(event: string, data: unknown): void;
  end(): void;
  /** True once the client has gone away or `end` was called. */
  readonly closed: boolean;
}

export function createSseWriter(response: ServerResponse, headers: Record<string, string> = {}): SseWriter {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...headers,
  });
  response.flushHeaders();
  let sequence = 0;
  let closed = false;
  response.on('close', () => {
    closed = true;
  });
  return {
    get closed() {
      return closed || response.writableEnded;
    },
    send(event, data) {
      if (closed || response.writableEnded) return;
      sequence += 1;
      response.write(
        `id: ${sequence}\nevent: ${event}\ndata: ${JSON.stringify({ seq: sequence, ...(data as object) })}\n\n`,
      );
    },
    end() {
      if (!response.writableEnded) response.end();
    },
  };
}
