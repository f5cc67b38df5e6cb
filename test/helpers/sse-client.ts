/** One Server-Sent Event: its id (a turn event's seq), name and parsed data. */
export interface SseMessage {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** The body, when the answer is not a stream (problem+json). */
  json: Record<string, unknown> | null;
  /** The next event, or null once the stream has ended (or was aborted). */
  next(): Promise<SseMessage | null>;
  /** Every event still to come, until the stream ends. */
  rest(): Promise<SseMessage[]>;
  /** Comment lines received so far (`: ping` heartbeats), without the colon. */
  comments: string[];
  /** Drops the connection, as a client that goes away does. */
  abort(): void;
}

/**
 * A real SSE client over fetch: `POST` a body or `GET` a stream, read events one by one as they
 * arrive, see comment lines, and drop the connection at any point.
 */
export async function connectSse(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown } = {},
): Promise<SseClient> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      accept: 'text/event-stream',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: controller.signal,
  });
  const streamed = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
  const json = streamed ? null : ((await response.json()) as Record<string, unknown>);
  const reader = streamed ? response.body?.pipeThrough(new TextDecoderStream()).getReader() : undefined;
  const comments: string[] = [];
  let buffer = '';
  let done = !reader;

  function parse(block: string): SseMessage | null {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      const colon = line.indexOf(':');
      if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
    }
    if (fields.data === undefined) return null;
    return { id: Number(fields.id), event: String(fields.event), data: JSON.parse(fields.data) };
  }

  async function next(): Promise<SseMessage | null> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = parse(block);
        if (message) return message;
        continue;
      }
      if (done || !reader) return null;
      try {
        const chunk = await reader.read();
        if (chunk.done) done = true;
        else buffer += chunk.value;
      } catch {
        done = true;
      }
    }
  }

  return {
    status: response.status,
    headers: response.headers,
    json,
    next,
    comments,
    async rest() {
      const events: SseMessage[] = [];
      for (let event = await next(); event; event = await next()) events.push(event);
      return events;
    },
    abort() {
      done = true;
      controller.abort();
    },
  };
}
