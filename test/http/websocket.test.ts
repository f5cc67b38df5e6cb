import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { awayFromMinuteEdge } from '../helpers/fixed-window.ts';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createKey, createTenantWithKey, request } from '../helpers/request.ts';
import { connectWebSocket, type ServerMessage } from '../helpers/websocket-client.ts';

const ADMIN = `admin-${'w'.repeat(40)}`;
const LONG = Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ');

type Headers = Record<string, string>;
let set: ReplicaSet;
let baseUrl: string;
const auth: Record<string, Headers> = {};

const call = (method: string, path: string, headers: Headers, body?: unknown) =>
  request(baseUrl, method, path, headers, body);

const connect = (headers: Headers) => connectWebSocket(baseUrl, headers);

/** The HTTP answer to an upgrade the server refused. */
function refusedUpgrade(headers: Headers): Promise<{ status: number; body: Record<string, unknown> }> {
  const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/v1/ws`, { headers });
  return new Promise((resolve, reject) => {
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => {});
    socket.on('unexpected-response', (request, response) => {
      // With this listener the client must end the request itself; the server closes its side anyway.
      response.on('end', () => request.destroy());
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) }));
    });
  });
}

beforeAll(async () => {
  set = await startReplicas({
    count: 1,
    adminKey: ADMIN,
    env: { STREAM_HEARTBEAT_MS: '50', STREAM_DISCONNECT_GRACE_MS: '1500' },
    simulatedWordDelayMs: 20,
  });
  baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  for (const tenant of ['ws-a', 'ws-b']) auth[tenant] = (await createTenantWithKey(baseUrl, ADMIN, tenant)).headers;
  auth['ws-a:read'] = (await createKey(baseUrl, ADMIN, 'ws-a', { name: 'read', scopes: ['history:read'] })).headers;
});
afterAll(async () => {
  await set?.close();
});

const a = () => auth['ws-a'] as Headers;
const b = () => auth['ws-b'] as Headers;
const newSession = async (headers: Headers) => (await call('POST', '/v1/sessions', headers, {})).json.id as string;
// A turn ends with turn-end or its own turn-error event; an error before it started ends it too (and fails the test clearly).
const isEnd = (message: ServerMessage) =>
  message.type === 'turn-end' || message.type === 'turn-error' || message.type === 'error';

describe('WebSocket /v1/ws', () => {
  it('authenticates the upgrade like HTTP: 401 without a credential, 403 without the chat scope, 426 for plain GET', async () => {
    const none = await refusedUpgrade({});
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const bad = await refusedUpgrade({ authorization: 'Bearer enc_not_a_key' });
    expect([bad.status, bad.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const readOnly = await refusedUpgrade(auth['ws-a:read'] as Headers);
    expect([readOnly.status, readOnly.body.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const mismatch = await refusedUpgrade({ ...a(), 'tenant-id': 'ws-b' });
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'TENANT_MISMATCH']);
    const plain = await call('GET', '/v1/ws', a());
    expect([plain.status, plain.json.code]).toEqual([426, 'UPGRADE_REQUIRED']);
    expect(plain.contentType).toMatch(/^application\/problem\+json/);
  });

  it('runs a turn: the same typed events as SSE, numbered by seq, with the client_ref', async () => {
    const client = await connect(a());
    const session = await newSession(a());
    client.send({ type: 'turn.start', session_id: session, content: 'What is the current_time?', client_ref: 'r1' });
    const events = await client.until(isEnd);
    expect(events.map((event) => event.type)).toEqual([
      'turn-start',
      ...events.slice(1, -1).map((event) => event.type),
      'turn-end',
    ]);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.every((event) => event.client_ref === 'r1' && event.turn_id === events[0]?.turn_id)).toBe(true);
    expect(events.map((event) => event.type)).toContain('tool-result');
    const stored = await call('GET', `/v1/turns/${events[0]?.turn_id}`, a());
    expect(stored.json.status).toBe('completed');
    expect(stored.json.usage).toEqual(events.at(-1)?.usage);
    await client.close();
  });

  it('answers bad messages with an error and a stable code, and keeps the socket open', async () => {
    const client = await connect(a());
    client.send('{not json');
    expect(await client.next()).toMatchObject({ type: 'error', code: 'MALFORMED_JSON' });
    client.send({ type: 'turn.explode', client_ref: 'x1' });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', client_ref: 'x1' });
    client.send({ type: 'turn.start', session_id: 'ses_x', content: '' });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED' });
    client.socket.send(Buffer.from([1, 2, 3]));
    expect(await client.next()).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED' });
    client.send({ type: 'turn.start', session_id: 'ses_00000000000000000000000000', content: 'hi', client_ref: 'm' });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'SESSION_NOT_FOUND', client_ref: 'm' });
    client.send({ type: 'turn.cancel', turn_id: 'msg_00000000000000000000000000' });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'TURN_NOT_FOUND' });
    client.send({ type: 'ping', client_ref: 'p' });
    expect(await client.next()).toEqual({ type: 'pong', client_ref: 'p' });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    await client.close();
  });

  it('cancels a turn with turn.cancel; another tenant cannot, and cannot resume it either', async () => {
    const client = await connect(a());
    const other = await connect(b());
    client.send({ type: 'turn.start', session_id: await newSession(a()), content: LONG });
    const start = await client.next();
    expect(start.type).toBe('turn-start');
    other.send({ type: 'turn.cancel', turn_id: start.turn_id });
    expect(await other.next()).toMatchObject({ type: 'error', code: 'TURN_NOT_FOUND' });
    other.send({ type: 'turn.resume', turn_id: start.turn_id, after: 0 });
    expect(await other.next()).toMatchObject({ type: 'error', code: 'TURN_NOT_FOUND' });
    client.send({ type: 'turn.cancel', turn_id: start.turn_id, client_ref: 'c' });
    const rest = await client.until(isEnd);
    expect(rest).toContainEqual({ type: 'cancelling', turn_id: start.turn_id, client_ref: 'c' });
    expect(rest.at(-1)).toMatchObject({ type: 'turn-error', code: 'TURN_CANCELLED', turn_id: start.turn_id });
    await Promise.all([client.close(), other.close()]);
  });

  it('resumes a turn on a new socket after the first closed: no gaps, no repeats, to the end', async () => {
    const first = await connect(a());
    first.send({ type: 'turn.start', session_id: await newSession(a()), content: LONG });
    const before = [await first.next(), await first.next(), await first.next(), await first.next()];
    await first.close();
    const turnId = before[0]?.turn_id;
    const last = before.at(-1)?.seq as number;
    const second = await connect(a());
    second.send({ type: 'turn.resume', turn_id: turnId, after: last });
    const after = await second.until(isEnd);
    const all = [...before, ...after];
    expect(all.map((event) => event.seq)).toEqual(all.map((_, index) => index + 1));
    expect(all.at(-1)?.type).toBe('turn-end');
    await second.close();
  });

  it('closing the socket cancels its turns (after the grace time), but not a background turn', async () => {
    const client = await connect(a());
    client.send({ type: 'turn.start', session_id: await newSession(a()), content: LONG });
    client.send({ type: 'turn.start', session_id: await newSession(a()), content: LONG, background: true });
    const starts = [await client.next(), await client.next()].filter((event) => event.type === 'turn-start');
    while (starts.length < 2) {
      const event = await client.next();
      if (event.type === 'turn-start') starts.push(event);
    }
    await client.close();
    const [attached, background] = starts.map((event) => String(event.turn_id)) as [string, string];
    const statusOf = async (turnId: string) => (await call('GET', `/v1/turns/${turnId}`, a())).json.status;
    await expect.poll(() => statusOf(attached), { timeout: 10_000 }).toBe('cancelled');
    await expect.poll(() => statusOf(background), { timeout: 15_000 }).toBe('completed');
  });

  it('sends WebSocket ping frames as heartbeats', async () => {
    const client = await connect(a());
    await expect.poll(() => client.pings, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    await client.close();
  });

  it('counts each message against the requests-per-minute limit, like an HTTP request', async () => {
    const config = { limits: { requestsPerMinute: 4 } };
    const { headers } = await createTenantWithKey(baseUrl, ADMIN, 'ws-limited', { config });
    // Before the first counted request (the session), so all four fall in one window.
    await awayFromMinuteEdge();
    const session = await newSession(headers);
    const client = await connect(headers);
    const codes: string[] = [];
    for (let index = 0; index < 3; index++) {
      client.send({ type: 'turn.start', session_id: session, content: 'hi' });
      const end = (await client.until((message) => isEnd(message) || message.type === 'error')).at(-1);
      codes.push(String(end?.type === 'error' ? end.code : end?.type));
    }
    // Two requests went to the session and the upgrade; two turns fit, the third is limited.
    expect(codes).toEqual(['turn-end', 'turn-end', 'RATE_LIMITED']);
    await client.close();
  });
});
