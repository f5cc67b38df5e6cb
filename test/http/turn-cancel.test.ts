import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createKey, createTenantWithKey, request } from '../helpers/request.ts';
import { connectSse, type SseMessage } from '../helpers/sse-client.ts';

const ADMIN = `admin-${'c'.repeat(40)}`;
const admin = { authorization: `Bearer ${ADMIN}` };
// A long message makes a long reply (it is quoted), so the slowed turn is still running when cancelled.
const LONG = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');

let set: ReplicaSet;
let baseUrl: string;
const keys: Record<string, Record<string, string>> = {};

const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  request(baseUrl, method, path, headers, body);

async function tenantWithKeys(id: string) {
  const chat = await createTenantWithKey(baseUrl, ADMIN, id, {
    key: { name: 'chat', scopes: ['chat', 'history:read'] },
  });
  const reader = await createKey(baseUrl, ADMIN, id, { name: 'read', scopes: ['history:read'] });
  keys[id] = chat.headers;
  keys[`${id}:read`] = reader.headers;
}

const cancel = (turnId: string, headers: Record<string, string>) =>
  call('POST', `/v1/turns/${encodeURIComponent(turnId)}/cancel`, headers);

beforeAll(async () => {
  set = await startReplicas({
    count: 1,
    adminKey: ADMIN,
    simulatedWordDelayMs: 20,
  });
  baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  await tenantWithKeys('cancel-a');
  await tenantWithKeys('cancel-b');
});
afterAll(async () => {
  await set?.close();
});

async function newSession(tenant: string): Promise<string> {
  return (await call('POST', '/v1/sessions', keys[tenant] as Record<string, string>, {})).json.id;
}

describe('POST /v1/turns/{id}/cancel', () => {
  it('cancels a streamed turn: 202, the stream ends with an error event TURN_CANCELLED, the partial reply is stored', async () => {
    const session = await newSession('cancel-a');
    const stream = await connectSse(`${baseUrl}/v1/sessions/${session}/messages`, {
      headers: keys['cancel-a'] as Record<string, string>,
      body: { content: LONG },
    });
    expect(stream.status).toBe(200);
    const start = (await stream.next()) as SseMessage;
    expect(start.event).toBe('turn-start');
    const turnId = String(start.data.turn_id);

    // Another tenant, holding the id, is told exactly what a made-up id gets.
    const foreign = await cancel(turnId, keys['cancel-b'] as Record<string, string>);
    const madeUp = await cancel('msg_00000000000000000000000000', keys['cancel-b'] as Record<string, string>);
    expect(foreign.status).toBe(404);
    expect(foreign.contentType).toMatch(/^application\/problem\+json/);
    expect(foreign.json.code).toBe('TURN_NOT_FOUND');
    const comparable = (text: string) => text.replace(/"request_id":"[^"]*"/, '');
    expect(comparable(foreign.text)).toBe(comparable(madeUp.text));
    // The tenant's own key without the chat scope may not cancel.
    const readOnly = await cancel(turnId, keys['cancel-a:read'] as Record<string, string>);
    expect([readOnly.status, readOnly.json.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);

    const accepted = await cancel(turnId, keys['cancel-a'] as Record<string, string>);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({ turn_id: turnId, status: 'cancelling' });

    const events = await stream.rest();
    const last = events.at(-1) as SseMessage;
    expect(last.event).toBe('turn-error');
    expect(last.data).toMatchObject({ turn_id: turnId, code: 'TURN_CANCELLED' });
    expect(events.map((event) => event.event)).not.toContain('turn-end');
    const streamed = events
      .filter((event) => event.event === 'text-delta')
      .map((event) => event.data.delta)
      .join('');

    // Ended: a second cancel finds nothing.
    expect((await cancel(turnId, keys['cancel-a'] as Record<string, string>)).json.code).toBe('TURN_NOT_FOUND');

    const messages = await call('GET', `/v1/sessions/${session}/messages`, keys['cancel-a'] as Record<string, string>);
    const [user, reply, ...others] = messages.json.data;
    expect(others).toEqual([]);
    expect(user).toMatchObject({ role: 'user', turn_id: turnId });
    // SQLite's schema allows `completed` and `failed` only, so a cancelled reply is stored as `failed`.
    expect(reply).toMatchObject({ role: 'assistant', turn_id: turnId, status: 'cancelled', final: false });
    const stored = (reply.content as { text: string }[]).map((part) => part.text).join('');
    expect(stored).toBe(streamed);
    expect(`Agent response to '${LONG}' with context: `.startsWith(stored)).toBe(true);
    expect(stored.length).toBeLessThan(LONG.length);
  });

  it('cancels a JSON turn: the turn answers 409 TURN_CANCELLED; an admin acts for the tenant it names', async () => {
    const session = await newSession('cancel-a');
    const pending = call('POST', `/v1/sessions/${session}/messages`, keys['cancel-a'] as Record<string, string>, {
      content: LONG,
    });
    // A JSON client learns the turn id from the stored user message.
    let turnId: string | undefined;
    while (!turnId) {
      const page = await call('GET', `/v1/sessions/${session}/messages`, keys['cancel-a'] as Record<string, string>);
      turnId = page.json.data[0]?.turn_id;
    }
    expect((await cancel(turnId, admin)).json.code).toBe('TENANT_ID_REQUIRED');
    expect((await cancel(turnId, { ...admin, 'tenant-id': 'cancel-b' })).json.code).toBe('TURN_NOT_FOUND');
    const accepted = await cancel(turnId, { ...admin, 'tenant-id': 'cancel-a' });
    expect(accepted.status).toBe(202);

    const answer = await pending;
    expect(answer.status).toBe(409);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.json).toMatchObject({ code: 'TURN_CANCELLED', status: 409 });
    const messages = await call('GET', `/v1/sessions/${session}/messages`, keys['cancel-a'] as Record<string, string>);
    expect(
      messages.json.data.map((message: { role: string; status: string }) => [message.role, message.status]),
    ).toEqual([
      ['user', 'completed'],
      ['assistant', 'cancelled'],
    ]);
  });

  it('answers 404 for a finished turn, 422 for a malformed id, 401 without a credential', async () => {
    const session = await newSession('cancel-b');
    const finished = await call(
      'POST',
      `/v1/sessions/${session}/messages`,
      keys['cancel-b'] as Record<string, string>,
      {
        content: 'short',
      },
    );
    expect(finished.status).toBe(200);
    const turnId = finished.json.turn_id;
    expect((await cancel(turnId, keys['cancel-b'] as Record<string, string>)).json.code).toBe('TURN_NOT_FOUND');
    expect((await cancel('msg_../x', keys['cancel-b'] as Record<string, string>)).status).toBe(422);
    expect((await cancel('x'.repeat(65), keys['cancel-b'] as Record<string, string>)).status).toBe(422);
    expect((await cancel(turnId, {})).status).toBe(401);
  });
});
