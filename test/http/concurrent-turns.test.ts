import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

const headers = { 'tenant-id': 'busy' };

async function allMessages(sessionId: string) {
  const messages: { seq: number; role: string; turn_id: string; final: boolean; content: { text?: string }[] }[] = [];
  let cursor = '';
  for (;;) {
    const page = (
      await t.app.inject({ method: 'GET', url: `/v1/sessions/${sessionId}/messages?limit=500${cursor}`, headers })
    ).json();
    messages.push(...page.data);
    if (!page.has_more) return messages;
    cursor = `&cursor=${page.next_cursor}`;
  }
}

describe('concurrent turns on one session', () => {
  it('50 concurrent turns all succeed, with gap-free unique sequence numbers and nothing lost', async () => {
    const session = (await t.app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: {} })).json();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        t.app.inject({
          method: 'POST',
          url: `/v1/sessions/${session.id}/messages`,
          headers,
          payload: { content: `turn ${index}` },
        }),
      ),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.every((status) => status === 200 || status === 409 || status === 429)).toBe(true);
    const succeeded = responses.filter((response) => response.statusCode === 200).map((response) => response.json());

    const messages = await allMessages(session.id);
    expect(messages.map((message) => message.seq)).toEqual(messages.map((_, index) => index + 1));
    for (const turn of succeeded) {
      const user = messages.find((message) => message.seq === turn.user_message.seq);
      expect(user?.content[0]?.text).toBe(turn.user_message.content[0].text);
      const reply = messages.find((message) => message.turn_id === turn.turn_id && message.final);
      expect(reply?.content[0]?.text).toBe(turn.reply.content[0].text);
    }
    expect(messages.filter((message) => message.role === 'user')).toHaveLength(succeeded.length);
    expect(messages.filter((message) => message.final)).toHaveLength(succeeded.length);
    const session2 = (await t.app.inject({ method: 'GET', url: `/v1/sessions/${session.id}`, headers })).json();
    expect(session2.message_count).toBe(messages.length);
  });

  it('concurrent legacy interacts on one tenant are all recorded', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        t.app.inject({
          method: 'POST',
          url: '/agent/interact',
          payload: { tenant_id: 'legacy-busy', message: `m${index}` },
        }),
      ),
    );
    expect(responses.every((response) => response.statusCode === 200)).toBe(true);
    const history = (await t.app.inject({ method: 'GET', url: '/agent/history/legacy-busy?limit=1000' })).json();
    expect(history.history.map((item: { message: string }) => item.message).sort()).toEqual(
      Array.from({ length: 50 }, (_, index) => `m${index}`).sort(),
    );
  });
});
