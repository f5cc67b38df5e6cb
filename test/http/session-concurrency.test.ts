import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { connectSse, type SseMessage } from '../helpers/sse-client.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are parsed JSON that tests assert field by field.
type Json = any;

const ADMIN = `admin-${'s'.repeat(40)}`;
// A long message makes a long, slowed reply (it is quoted), so the turn is still running meanwhile.
const LONG = Array.from({ length: 300 }, (_, index) => `word${index}`).join(' ');

/** A tenant with `config` and a chat key; returns the key's headers. */
async function tenant(baseUrl: string, id: string, config: Record<string, unknown>) {
  const key = { name: 'chat', scopes: ['chat', 'history:read', 'config:write'] };
  return (await createTenantWithKey(baseUrl, ADMIN, id, { config, key })).headers;
}

async function messagesOf(baseUrl: string, headers: Record<string, string>, session: string): Promise<Json[]> {
  return (await request(baseUrl, 'GET', `/v1/sessions/${session}/messages?limit=200`, headers)).json.data;
}

/** Turns ran one after another: each turn's user message is followed by its own reply, seq without gaps. */
function expectSerialTurns(messages: Json[], turns: number) {
  expect(messages.map((message) => message.seq)).toEqual(Array.from({ length: turns * 2 }, (_, index) => index + 1));
  for (let index = 0; index < messages.length; index += 2) {
    const [user, reply] = [messages[index], messages[index + 1]];
    expect([user.role, reply.role, reply.final]).toEqual(['user', 'assistant', true]);
    expect(reply.turn_id).toBe(user.turn_id);
  }
}

async function startSlowTurn(baseUrl: string, headers: Record<string, string>, session: string) {
  const stream = await connectSse(`${baseUrl}/v1/sessions/${session}/messages`, {
    headers,
    body: { content: LONG },
  });
  expect(stream.status).toBe(200);
  expect((await stream.next())?.event).toBe('turn-start');
  return stream;
}

describe('session concurrency on one server', () => {
  let set: ReplicaSet;
  let url: string;
  let rejecting: Record<string, string>;
  let queueing: Record<string, string>;

  beforeAll(async () => {
    set = await startReplicas({
      count: 1,
      adminKey: ADMIN,
      simulatedWordDelayMs: 10,
    });
    url = (set.replicas[0] as { baseUrl: string }).baseUrl;
    rejecting = await tenant(url, 'sc-reject', { sessionConcurrency: 'reject' });
    queueing = await tenant(url, 'sc-enqueue', {});
  });
  afterAll(async () => {
    await set?.close();
  });

  it('reject: a second turn while one runs gets 409 SESSION_BUSY and stores nothing; other sessions run', async () => {
    const session = (await request(url, 'POST', '/v1/sessions', rejecting, {})).json.id;
    const other = (await request(url, 'POST', '/v1/sessions', rejecting, {})).json.id;
    const stream = await startSlowTurn(url, rejecting, session);

    const busy = await request(url, 'POST', `/v1/sessions/${session}/messages`, rejecting, { content: 'me too' });
    expect(busy.status).toBe(409);
    expect(busy.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.json.code).toBe('SESSION_BUSY');
    expect((await request(url, 'POST', `/v1/sessions/${other}/messages`, rejecting, { content: 'hi' })).status).toBe(
      200,
    );

    // The request may ask to wait instead: it runs once the first turn has ended.
    const queued = request(url, 'POST', `/v1/sessions/${session}/messages`, rejecting, {
      content: 'after you',
      session_concurrency: 'enqueue',
    });
    const events = await stream.rest();
    expect((events.at(-1) as SseMessage).event).toBe('turn-end');
    expect((await queued).status).toBe(200);
    const messages = await messagesOf(url, rejecting, session);
    expectSerialTurns(messages, 2);
    expect(messages.map((message) => message.content[0]?.text).filter((text) => text === 'me too')).toEqual([]);
  });

  it('enqueue (the default): concurrent turns on a session all run, one after another, seq gap-free', async () => {
    const session = (await request(url, 'POST', '/v1/sessions', queueing, {})).json.id;
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        request(url, 'POST', `/v1/sessions/${session}/messages`, queueing, { content: `turn ${index}` }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(6).fill(200));
    const messages = await messagesOf(url, queueing, session);
    expectSerialTurns(messages, 6);
    // Each turn ran after the ones before it had ended, so its context held every earlier message.
    for (const [index, response] of responses.entries()) {
      const before = messages.filter(
        (message) => message.role === 'user' && message.seq < response.json.user_message.seq,
      );
      for (const earlier of before) expect(response.json.reply.content[0].text).toContain(earlier.content[0].text);
      expect(response.json.user_message.content[0].text).toBe(`turn ${index}`);
    }
  });

  it('a tenant may switch its own policy through its config', async () => {
    const patched = await request(url, 'PATCH', '/v1/config', queueing, { sessionConcurrency: 'reject' });
    expect([patched.status, patched.json.config.sessionConcurrency]).toEqual([200, 'reject']);
    const invalid = await request(url, 'PATCH', '/v1/config', queueing, { sessionConcurrency: 'parallel' });
    expect([invalid.status, invalid.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    const badOverride = await request(url, 'POST', '/v1/sessions/ses_x/messages', queueing, {
      content: 'x',
      session_concurrency: 'sometimes',
    });
    expect([badOverride.status, badOverride.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    await request(url, 'PATCH', '/v1/config', queueing, { sessionConcurrency: 'enqueue' });
  });
});

const redisUrl = await redisForTests();

describe.skipIf(redisUrl === null)('session concurrency and idempotency across two replicas (Redis)', () => {
  let set: ReplicaSet;
  let urls: string[];
  let rejecting: Record<string, string>;
  let queueing: Record<string, string>;

  beforeAll(async () => {
    set = await startReplicas({
      count: 2,
      adminKey: ADMIN,
      env: { REDIS_URL: redisUrl as string },
      simulatedWordDelayMs: 10,
    });
    urls = set.replicas.map((replica) => replica.baseUrl);
    rejecting = await tenant(urls[0] as string, `sc-rr-${Date.now()}`, { sessionConcurrency: 'reject' });
    queueing = await tenant(urls[0] as string, `sc-rq-${Date.now()}`, {});
  });
  afterAll(async () => {
    await set?.close();
  });

  it('reject holds across replicas: a turn on B while A runs one on the session gets 409 SESSION_BUSY', async () => {
    const [a, b] = urls as [string, string];
    const session = (await request(a, 'POST', '/v1/sessions', rejecting, {})).json.id;
    const stream = await startSlowTurn(a, rejecting, session);
    const busy = await request(b, 'POST', `/v1/sessions/${session}/messages`, rejecting, { content: 'from b' });
    expect([busy.status, busy.json.code]).toEqual([409, 'SESSION_BUSY']);
    await stream.rest();
    expect((await request(b, 'POST', `/v1/sessions/${session}/messages`, rejecting, { content: 'now' })).status).toBe(
      200,
    );
  });

  it('enqueue holds across replicas: turns sent to both run one at a time, seq gap-free', async () => {
    const session = (await request(urls[0] as string, 'POST', '/v1/sessions', queueing, {})).json.id;
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        request(urls[index % 2] as string, 'POST', `/v1/sessions/${session}/messages`, queueing, {
          content: `turn ${index}`,
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(6).fill(200));
    expectSerialTurns(await messagesOf(urls[1] as string, queueing, session), 6);
  });

  it('one Idempotency-Key sent to both replicas at once runs one turn, and everyone gets its response', async () => {
    const session = (await request(urls[0] as string, 'POST', '/v1/sessions', queueing, {})).json.id;
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        request(
          urls[index % 2] as string,
          'POST',
          `/v1/sessions/${session}/messages`,
          { ...queueing, 'idempotency-key': 'across-replicas' },
          { content: 'only once' },
        ),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    const turnIds = new Set(responses.map((response) => response.json.turn_id));
    expect(turnIds.size).toBe(1);
    expectSerialTurns(await messagesOf(urls[0] as string, queueing, session), 1);
  });
});
