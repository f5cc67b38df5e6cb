import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

const headers = { 'tenant-id': 'turns' };
async function newSession(): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: {} });
  return response.json().id;
}
const send = (id: string, content: string, extra: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/sessions/${id}/messages`,
    headers: { ...headers, ...extra },
    payload: { content },
  });

function parseSse(body: string): { id: number; event: string; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const fields = Object.fromEntries(
        block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      return { id: Number(fields.id), event: String(fields.event), data: JSON.parse(String(fields.data)) };
    });
}

describe('POST /v1/sessions/{id}/messages', () => {
  it('runs a turn and returns the user message, the reply and usage', async () => {
    const id = await newSession();
    const response = await send(id, 'Hello');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.user_message).toMatchObject({ role: 'user', seq: 1, content: [{ type: 'text', text: 'Hello' }] });
    expect(body.reply).toMatchObject({
      role: 'assistant',
      seq: 2,
      final: true,
      status: 'completed',
      model: 'simulated:simulated-1',
    });
    expect(body.reply.content[0].text).toBe("Agent response to 'Hello' with context: ");
    expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens);
    expect(body.usage.output_tokens).toBeGreaterThan(0);
    expect(body.reply.request_id).toBe(response.headers['x-request-id']);
  });

  it('runs the simulated tool call through the AI SDK tool loop and persists call and result', async () => {
    const id = await newSession();
    const response = await send(id, 'What is the current_time?');
    const body = response.json();
    expect(body.messages.map((message: { role: string }) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
    const [call, result, reply] = body.messages;
    expect(call.tool_calls[0]).toMatchObject({ toolName: 'current_time' });
    expect(result.content[0]).toMatchObject({ type: 'tool-result', toolName: 'current_time' });
    expect(result.content[0].toolCallId).toBe(call.tool_calls[0].toolCallId);
    expect(reply.content[0].text).toMatch(/current_time returned \{"now":"\d{4}-\d\d-\d\dT/);
    const stored = await t.app.inject({ method: 'GET', url: `/v1/sessions/${id}/messages`, headers });
    expect(stored.json().data.map((message: { role: string; seq: number }) => [message.seq, message.role])).toEqual([
      [1, 'user'],
      [2, 'assistant'],
      [3, 'tool'],
      [4, 'assistant'],
    ]);
  });

  it('streams typed SSE events with increasing ids when asked for text/event-stream', async () => {
    const id = await newSession();
    const response = await send(id, 'stream the current_time please', { accept: 'text/event-stream' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(response.body);
    const types = events.map((event) => event.event);
    expect(types[0]).toBe('turn-start');
    expect(types.at(-1)).toBe('turn-end');
    expect(types).toContain('tool-call');
    expect(types).toContain('tool-result');
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    const text = events
      .filter((event) => event.event === 'text-delta')
      .map((event) => event.data.delta)
      .join('');
    const end = events.at(-1)?.data as { messages: { final: boolean; content: { text: string }[] }[] };
    expect(text).toBe(end.messages.find((message) => message.final)?.content[0]?.text);
    expect(text.startsWith("Agent response to 'stream the current_time please' with context: ")).toBe(true);
  });

  it('answers problem+json (not a stream) when the session does not exist', async () => {
    const response = await send('ses_missing', 'hi', { accept: 'text/event-stream' });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('SESSION_NOT_FOUND');
  });

  it('rejects an empty or oversize message and unknown fields', async () => {
    const id = await newSession();
    expect((await send(id, '')).statusCode).toBe(422);
    expect((await send(id, 'x'.repeat(t.config.messageMaxChars + 1))).statusCode).toBe(422);
    const extra = await t.app.inject({
      method: 'POST',
      url: `/v1/sessions/${id}/messages`,
      headers,
      payload: { content: 'hi', role: 'system' },
    });
    expect(extra.statusCode).toBe(422);
  });

  it('pages messages with a cursor in both orders', async () => {
    const id = await newSession();
    for (const text of ['a', 'b', 'c']) await send(id, text);
    const page = (query: string) =>
      t.app.inject({ method: 'GET', url: `/v1/sessions/${id}/messages${query}`, headers }).then((r) => r.json());
    const asc = await page('?limit=4');
    expect(asc.data.map((message: { seq: number }) => message.seq)).toEqual([1, 2, 3, 4]);
    const rest = await page(`?limit=4&cursor=${asc.next_cursor}`);
    expect(rest.data.map((message: { seq: number }) => message.seq)).toEqual([5, 6]);
    expect(rest.has_more).toBe(false);
    const desc = await page('?limit=2&order=desc');
    expect(desc.data.map((message: { seq: number }) => message.seq)).toEqual([6, 5]);
    const older = await page(`?limit=2&order=desc&cursor=${desc.next_cursor}`);
    expect(older.data.map((message: { seq: number }) => message.seq)).toEqual([4, 3]);
  });
});
