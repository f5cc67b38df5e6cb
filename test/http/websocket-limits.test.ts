import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { connectWebSocket, type ServerMessage } from '../helpers/websocket-client.ts';

const ADMIN = `admin-${'l'.repeat(40)}`;
// The reply quotes the message word by word: 150 words stream for about 3 s.
const LONG = Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ');
// About 6 MB: more than a stalled client's TCP buffers on loopback take in (about 4 MB), already in
// its first event (turn-start carries the message). QUICK streams as 60 words of 100 kB (about
// 1.2 s at 20 ms a word), LONG_HUGE as 300 of 20 kB (about 6 s: still running when abandoned).
const QUICK_HUGE = Array.from({ length: 60 }, (_, index) => `${index}`.padEnd(100_000, 'x')).join(' ');
const LONG_HUGE = Array.from({ length: 300 }, (_, index) => `${index}`.padEnd(20_000, 'x')).join(' ');
// Waits on the server's progress, never a fixed time: bounded only by the test's own timeout.
const UNTIL_TEST_TIMEOUT = { timeout: 25_000, interval: 100 };
const BOUND = 65_536;

type Headers = Record<string, string>;
let set: ReplicaSet;
let baseUrl: string;
let headers: Headers;

const call = async (method: string, path: string, body?: unknown) =>
  (await request(baseUrl, method, path, headers, body)).json as Record<string, unknown>;

beforeAll(async () => {
  set = await startReplicas({
    count: 1,
    adminKey: ADMIN,
    env: {
      WS_MAX_SUBSCRIPTIONS: '2',
      WS_MAX_BUFFERED_BYTES: String(BOUND),
      MESSAGE_MAX_CHARS: '8000000',
      BODY_LIMIT_BYTES: '16777216',
      STREAM_DISCONNECT_GRACE_MS: '300',
    },
    simulatedWordDelayMs: 20,
  });
  baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  ({ headers } = await createTenantWithKey(baseUrl, ADMIN, 'ws-limits'));
});
afterAll(async () => {
  await set?.close();
});

const newSession = async () => (await call('POST', '/v1/sessions', {})).id as string;
const isEnd = (message: ServerMessage) =>
  message.type === 'turn-end' || message.type === 'turn-error' || message.type === 'error';
const statusOf = async (turnId: string) => (await call('GET', `/v1/turns/${turnId}`)).status;

describe('WebSocket limits', () => {
  it('follows at most WS_MAX_SUBSCRIPTIONS turns and resumes at once: more get TOO_MANY_SUBSCRIPTIONS, the socket stays open', async () => {
    const client = await connectWebSocket(baseUrl, headers);
    const spare = await newSession();
    client.send({ type: 'turn.start', session_id: await newSession(), content: LONG, client_ref: 't1' });
    client.send({ type: 'turn.start', session_id: await newSession(), content: LONG, client_ref: 't2' });
    client.send({ type: 'turn.start', session_id: spare, content: 'hi', client_ref: 'over-start' });
    client.send({ type: 'turn.resume', turn_id: 'msg_00000000000000000000000000', client_ref: 'over-resume' });
    client.send({ type: 'ping', client_ref: 'p' });
    const refusals: ServerMessage[] = [];
    while (refusals.filter((message) => message.type === 'error' || message.type === 'pong').length < 3) {
      refusals.push(await client.next());
    }
    expect(refusals).toContainEqual({ type: 'pong', client_ref: 'p' });
    const errors = refusals.filter((message) => message.type === 'error');
    expect(errors).toEqual([
      { type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', message: expect.any(String), client_ref: 'over-start' },
      { type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', message: expect.any(String), client_ref: 'over-resume' },
    ]);
    // Nothing ran for the refused turn.
    expect(((await call('GET', `/v1/sessions/${spare}/messages`)).data as unknown[]).length).toBe(0);

    // Once the two turns end, the socket takes new ones.
    const ends = refusals.filter((message) => message.type === 'turn-end').length;
    for (let seen = ends; seen < 2; ) if ((await client.next()).type === 'turn-end') seen++;
    client.send({ type: 'turn.start', session_id: spare, content: 'hi', client_ref: 'later' });
    expect((await client.until(isEnd)).at(-1)).toMatchObject({ type: 'turn-end', client_ref: 'later' });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    await client.close();
  });

  it('a resume waits for a client that stops reading, and delivers everything once it reads again', async () => {
    // Written over HTTP in the background: a WebSocket writer would itself be closed as too slow
    // whenever a loaded machine let it fall more than the (small) bound behind the live turn.
    const session = await newSession();
    const started = await call('POST', `/v1/sessions/${session}/messages`, { content: QUICK_HUGE, background: true });
    const turnId = started.turn_id as string;
    await expect.poll(() => statusOf(turnId), UNTIL_TEST_TIMEOUT).toBe('completed');

    const reader = await connectWebSocket(baseUrl, headers);
    reader.pauseReading();
    reader.send({ type: 'turn.resume', turn_id: turnId, after: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    reader.resumeReading();
    const replayed = await reader.until(isEnd);
    expect(replayed[0]?.type).toBe('turn-start');
    expect(replayed.map((event) => event.seq)).toEqual(replayed.map((_, index) => index + 1));
    expect(replayed.at(-1)?.type).toBe('turn-end');
    const text = replayed.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : [])).join('');
    const reply = (await call('GET', `/v1/turns/${turnId}`)).reply as { content: { text: string }[] };
    expect(text).toBe(reply.content[0]?.text);
    reader.send({ type: 'ping' });
    expect(await reader.next()).toEqual({ type: 'pong' });
    await reader.close();
  });

  it('closes a socket whose client stops reading a live turn with code 4008; the turn is then abandoned', async () => {
    const client = await connectWebSocket(baseUrl, headers);
    client.pauseReading();
    client.send({ type: 'turn.start', session_id: await newSession(), content: LONG_HUGE });
    // The server gives up on the client while it reads nothing: its side of the socket is closing.
    // Seen on the server itself, so no fixed wait decides the outcome.
    const server = (set.replicas[0] as { app: { app: { websocketServer: { clients: Set<WebSocket> } } } }).app.app;
    const closing = () => [...server.websocketServer.clients].some((socket) => socket.readyState === WebSocket.CLOSING);
    await expect.poll(closing, { timeout: 25_000, interval: 10 }).toBe(true);
    client.resumeReading();
    // What was sent before the close still arrives, then the close frame.
    const start = await client.next();
    expect(start.type).toBe('turn-start');
    expect(await client.closed).toBe(4008);
    // Like any closed socket's turn, it is cancelled when nobody resumes it within the grace time.
    await expect.poll(() => statusOf(String(start.turn_id)), UNTIL_TEST_TIMEOUT).toBe('cancelled');
  });
});
