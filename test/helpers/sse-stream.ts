/** One Server-Sent Event as the turn routes write it. */
export interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export interface SseStream {
  status: number;
  contentType: string;
  /** The next event, or null once the stream has ended. */
  next(): Promise<SseEvent | null>;
  /** Every event still to come, until the stream ends. */
  rest(): Promise<SseEvent[]>;
}

function parseBlock(block: string): SseEvent {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
  }
  return { id: Number(fields.id), event: String(fields.event), data: JSON.parse(String(fields.data)) };
}

/** Sends a request that answers with an event stream and reads its events as they arrive (a real client). */
export async function openSseStream(
  url: string,
  init: { headers: Record<string, string>; body: unknown },
): Promise<SseStream> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...init.headers },
    body: JSON.stringify(init.body),
  });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let done = false;
  async function next(): Promise<SseEvent | null> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.trim()) return parseBlock(block);
        continue;
      }
      if (done || !reader) return null;
      const chunk = await reader.read();
      if (chunk.done) done = true;
      else buffer += chunk.value;
    }
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    next,
    async rest() {
      const events: SseEvent[] = [];
      for (let event = await next(); event; event = await next()) events.push(event);
      return events;
    },
  };
}
