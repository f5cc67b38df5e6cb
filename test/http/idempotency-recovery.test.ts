import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_SESSION_ID } from '../../src/core/conversations/session.ts';
import { createIds } from '../../src/core/ids.ts';
import { requestFingerprint } from '../../src/core/turns/idempotency.ts';
import { createStorage, type OpenedStorage } from '../../src/storage/create-storage.ts';
import { newMessage } from '../fakes/new-message.ts';
import { type Replica, type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { request } from '../helpers/request.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are parsed JSON that tests assert field by field.
type Json = any;

const ADMIN_KEY = 'admin-key-for-idempotency-recovery-0123456789';
const ids = createIds();

let set: ReplicaSet;
let a: Replica;
let b: Replica;
/** The process that died: the same database, opened by a storage of its own. */
let dead: OpenedStorage;
let tenantId: string;
let keyId: string;
let auth: Record<string, string>;

beforeAll(async () => {
  // A short wait, so that a retry that (wrongly) keeps waiting on a dead holder fails fast.
  set = await startReplicas({ count: 2, adminKey: ADMIN_KEY, env: { IDEMPOTENCY_WAIT_MS: '3000' } });
  [a, b] = set.replicas as [Replica, Replica];
  tenantId = `idem-crash-${Date.now().toString(36)}`;
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  expect((await request(a.baseUrl, 'POST', '/v1/admin/tenants', admin, { id: tenantId })).status).toBe(201);
  const key = await request(a.baseUrl, 'POST', `/v1/admin/tenants/${tenantId}/keys`, admin, { name: 'crash' });
  keyId = key.json.id;
  auth = { authorization: `Bearer ${key.json.key}` };
  dead = await createStorage({ databaseUrl: a.app.config.databaseUrl, sqliteSynchronous: 'NORMAL', migrate: false });
});
afterAll(async () => {
  await dead?.storage.close();
  await set?.close();
});

async function newSession(): Promise<string> {
  return (await request(a.baseUrl, 'POST', '/v1/sessions', auth, {})).json.id;
}

const send = (replica: Replica, session: string, content: string, key: string, accept?: string) =>
  request(
    replica.baseUrl,
    'POST',
    `/v1/sessions/${session}/messages`,
    { ...auth, 'idempotency-key': key, ...(accept ? { accept } : {}) },
    { content },
  );

async function messagesOf(session: string): Promise<Json[]> {
  return (await request(a.baseUrl, 'GET', `/v1/sessions/${session}/messages?limit=100`, auth)).json.data;
}

/**
 * What a process that died mid-turn leaves behind, written through the real storage port as the
 * pipeline writes it: its claim of the key (its lease ended, since nobody renews it any more), the
 * turn's user message, and, when `committed`, the turn's reply committed under the claim (the
 * process then died before storing its response). Returns the turn id.
 */
async function diedDuringTurn(
  session: string,
  content: string,
  key: string,
  committed: boolean,
  /** The request as the route sees it; by default `POST /v1/sessions/{session}/messages` with `content`. */
  route: { url: string; params: unknown; body: unknown } = {
    url: '/v1/sessions/:id/messages',
    params: { id: session },
    body: { content },
  },
): Promise<string> {
  const token = ids.next('idk');
  const fingerprint = requestFingerprint({
    method: 'POST',
    route: route.url,
    params: route.params,
    body: route.body,
    caller: `key:${keyId}`,
  });
  const claimed = await dead.idempotency.claimIdempotencyKey(tenantId, {
    key,
    fingerprint,
    token,
    userId: null,
    owner: 'ins_dead',
    leaseExpiresAt: new Date(Date.now() - 1000).toISOString(),
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(claimed).toBe(true);
  const turnId = ids.next('msg');
  await dead.storage.beginTurn(tenantId, {
    sessionId: session,
    createTenant: false,
    createSession:
      session === LEGACY_SESSION_ID ? { id: session, title: 'Legacy interactions', userId: null, metadata: {} } : null,
    message: newMessage('user', [{ type: 'text', text: content }], turnId),
  });
  if (committed) {
    const usage = { inputTokens: 3, outputTokens: 4, totalTokens: 7 };
    const reply = newMessage('assistant', [{ type: 'text', text: 'the reply that committed' }], turnId, {
      final: true,
      usage,
      model: 'simulated:simulated-1',
      latencyMs: 12,
      configVersion: 0,
    });
    await dead.storage.completeTurn(
      tenantId,
      session,
      [reply],
      {
        id: ids.next('use'),
        sessionId: session,
        turnId,
        keyId,
        userId: null,
        model: 'simulated:simulated-1',
        configVersion: 0,
        ...usage,
        toolCalls: 0,
        latencyMs: 12,
        status: 'completed',
      },
      { key, token },
    );
  }
  return turnId;
}

describe('an Idempotency-Key whose holder died', () => {
  it('after its turn committed: a retry gets that turn (JSON and SSE), and nothing runs again', async () => {
    const session = await newSession();
    const turnId = await diedDuringTurn(session, 'committed then crashed', 'crash-committed', true);

    const json = await send(b, session, 'committed then crashed', 'crash-committed');
    expect(json.status).toBe(200);
    expect(json.headers.get('idempotent-replayed')).toBe('true');
    expect(json.json.turn_id).toBe(turnId);
    expect(json.json.reply.content).toEqual([{ type: 'text', text: 'the reply that committed' }]);
    expect(json.json.usage).toEqual({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    expect(json.json.latency_ms).toBe(12);

    const sse = await send(a, session, 'committed then crashed', 'crash-committed', 'text/event-stream');
    expect(sse.status).toBe(200);
    expect(sse.text).toContain('event: turn-start');
    expect(sse.text).toContain(`"turn_id":"${turnId}"`);
    expect(sse.text).toContain('the reply that committed');

    const messages = await messagesOf(session);
    expect(messages.map((message) => [message.role, message.turn_id])).toEqual([
      ['user', turnId],
      ['assistant', turnId],
    ]);
  });

  it('after its turn committed, on /agent/interact: a retry gets the original response shape', async () => {
    const body = { tenant_id: tenantId, message: 'legacy committed then crashed' };
    await diedDuringTurn(LEGACY_SESSION_ID, body.message, 'crash-legacy', true, {
      url: '/agent/interact',
      params: {},
      body,
    });
    const answer = await request(
      a.baseUrl,
      'POST',
      '/agent/interact',
      { ...auth, 'idempotency-key': 'crash-legacy' },
      body,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('idempotent-replayed')).toBe('true');
    expect(answer.json).toEqual({ tenant_id: tenantId, response: 'the reply that committed' });
  });

  it('before its turn committed: exactly one of many retries on two replicas runs the turn, and all get its answer', async () => {
    const session = await newSession();
    const orphan = await diedDuringTurn(session, 'crashed mid-turn', 'crash-running', false);

    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        send(index % 2 === 0 ? a : b, session, 'crashed mid-turn', 'crash-running'),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(200));
    const first = answers.find((answer) => answer.headers.get('idempotent-replayed') === null);
    expect(answers.filter((answer) => answer.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    const turnId = first?.json.turn_id;
    expect(turnId).not.toBe(orphan);
    for (const answer of answers) expect(answer.json.turn_id).toBe(turnId);

    // The dead holder's user message stays, without a reply; the turn ran once.
    const messages = await messagesOf(session);
    expect(messages.map((message) => [message.role, message.turn_id])).toEqual([
      ['user', orphan],
      ['user', turnId],
      ['assistant', turnId],
    ]);
    const later = await send(a, session, 'crashed mid-turn', 'crash-running');
    expect([later.status, later.json.turn_id]).toEqual([200, turnId]);
  });

  it('a holder whose lease is still live is waited for, not taken over', async () => {
    const session = await newSession();
    const fingerprint = requestFingerprint({
      method: 'POST',
      route: '/v1/sessions/:id/messages',
      params: { id: session },
      body: { content: 'still running' },
      caller: `key:${keyId}`,
    });
    await dead.idempotency.claimIdempotencyKey(tenantId, {
      key: 'crash-live',
      fingerprint,
      token: ids.next('idk'),
      userId: null,
      owner: 'ins_alive',
      leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const answer = await send(a, session, 'still running', 'crash-live');
    expect([answer.status, answer.json.code]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
    expect(await messagesOf(session)).toEqual([]);
  });
});
