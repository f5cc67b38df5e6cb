import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { connectSse, type SseMessage } from '../helpers/sse-client.ts';

const ADMIN = `admin-${'s'.repeat(40)}`;
// The reply quotes the message, so a long message makes a turn that streams for a few seconds.
const LONG = Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ');

type Headers = Record<string, string>;
let set: ReplicaSet;
let baseUrl: string;
const auth: Record<string, Headers> = {};

const call = (method: string, path: string, headers: Headers, body?: unknown) =>
  request(baseUrl, method, path, headers, body);

beforeAll(async () => {
  set = await startReplicas({
    count: 1,
    adminKey: ADMIN,
    env: { STREAM_DISCONNECT_GRACE_MS: '1500' },
    simulatedWordDelayMs: 20,
  });
  baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  for (const tenant of ['streams-a', 'streams-b'])
    auth[tenant] = (await createTenantWithKey(baseUrl, ADMIN, tenant)).headers;
});
afterAll(async () => {
  await set?.close();
});

const a = () => auth['streams-a'] as Headers;
const b = () => auth['streams-b'] as Headers;
const newSession = async (headers: Headers) => (await call('POST', '/v1/sessions', headers, {})).json.id as string;
const startStream = async (session: string, content: string) =>
  connectSse(`${baseUrl}/v1/sessions/${session}/messages`, { headers: a(), body: { content } });
const text = (events: SseMessage[]) =>
  events
    .filter((event) => event.event === 'text-delta')
    .map((event) => event.data.delta)
    .join('');

/** Reads until `count` events have arrived. */
async function take(stream: Awaited<ReturnType<typeof connectSse>>, count: number): Promise<SseMessage[]> {
  const events: SseMessage[] = [];
  while (events.length < count) events.push((await stream.next()) as SseMessage);
  return events;
}

describe('streamed turn events', () => {
  it('numbers every event 1, 2, 3… in order; the SSE id is the seq', async () => {
    const stream = await startStream(await newSession(a()), 'What is the current_time?');
    expect(stream.status).toBe(200);
    const events = await stream.rest();
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((event) => event.data.seq)).toEqual(events.map((event) => event.id));
    const types = events.map((event) => event.event);
    expect(types[0]).toBe('turn-start');
    expect(types.at(-1)).toBe('turn-end');
    expect(types).toContain('tool-call');
    expect(types.indexOf('tool-call')).toBeLessThan(types.indexOf('tool-result'));
    const turnId = events[0]?.data.turn_id;
    expect(events.every((event) => event.data.turn_id === turnId)).toBe(true);
  });

  it('resumes after a forced disconnect with Last-Event-ID: no gaps, no repeats, the same reply as stored', async () => {
    const session = await newSession(a());
    const first = await startStream(session, LONG);
    const before = await take(first, 6);
    first.abort();
    const turnId = String(before[0]?.data.turn_id);
    const last = (before.at(-1) as SseMessage).id;

    const resumed = await connectSse(`${baseUrl}/v1/turns/${turnId}/events`, {
      headers: { ...a(), 'last-event-id': String(last) },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const after = await resumed.rest();
    const all = [...before, ...after];
    // The resumed stream kept the turn alive past the grace time: it ran to its end.
    expect(all.at(-1)?.event).toBe('turn-end');
    expect(all.map((event) => event.id)).toEqual(all.map((_, index) => index + 1));
    const stored = (all.at(-1) as SseMessage).data.messages as { final: boolean; content: { text: string }[] }[];
    const reply = stored.find((message) => message.final);
    expect(text(all)).toBe(reply?.content[0]?.text);
    expect(text(all)).toBe(`Agent response to '${LONG}' with context: `);

    // Ended, and still in the window: `?after=` replays from any point, to the end.
    const replay = await connectSse(`${baseUrl}/v1/turns/${turnId}/events?after=${last + 2}`, { headers: a() });
    expect((await replay.rest()).map((event) => event.id)).toEqual(all.slice(last + 2).map((event) => event.id));
    // Last-Event-ID wins over a stale `after` (an EventSource reconnects to the same URL).
    const both = await connectSse(`${baseUrl}/v1/turns/${turnId}/events?after=0`, {
      headers: { ...a(), 'last-event-id': String(all.length - 1) },
    });
    expect((await both.rest()).map((event) => event.event)).toEqual(['turn-end']);
  });

  it('a second client follows a running turn live from the start', async () => {
    const stream = await startStream(await newSession(a()), LONG);
    const [start] = await take(stream, 1);
    const follower = await connectSse(`${baseUrl}/v1/turns/${start?.data.turn_id}/events`, { headers: a() });
    const [own, followed] = await Promise.all([stream.rest(), follower.rest()]);
    expect(followed.map((event) => event.id)).toEqual([start, ...own].map((event) => event?.id));
    expect(followed.at(-1)?.event).toBe('turn-end');
  });

  it('a client that leaves and does not come back gets its turn cancelled after the grace time', async () => {
    const session = await newSession(a());
    const stream = await startStream(session, LONG);
    const [start] = await take(stream, 3);
    stream.abort();
    const turnId = String(start?.data.turn_id);
    await expect
      .poll(async () => (await call('GET', `/v1/turns/${turnId}`, a())).json.status, { timeout: 10_000 })
      .toBe('cancelled');
    const events = await (await connectSse(`${baseUrl}/v1/turns/${turnId}/events`, { headers: a() })).rest();
    expect(events.at(-1)?.data).toMatchObject({ code: 'TURN_CANCELLED' });
  });

  it('another tenant gets 404 TURN_NOT_FOUND for a turn it does not own, exactly like an unknown id', async () => {
    const stream = await startStream(await newSession(a()), 'Hello');
    const events = await stream.rest();
    const turnId = String(events[0]?.data.turn_id);
    const comparable = (body: string) => body.replace(/"request_id":"[^"]*"/, '');
    for (const path of [`/v1/turns/${turnId}`, `/v1/turns/${turnId}/events`]) {
      const foreign = await call('GET', path, b());
      const unknown = await call('GET', path.replace(turnId, 'msg_00000000000000000000000000'), b());
      expect([foreign.status, foreign.json.code]).toEqual([404, 'TURN_NOT_FOUND']);
      expect(foreign.contentType).toMatch(/^application\/problem\+json/);
      expect(comparable(foreign.text)).toBe(comparable(unknown.text));
    }
    expect((await call('GET', `/v1/turns/${turnId}`, a())).json.status).toBe('completed');
  });

  it('answers 410 TURN_EVENTS_EXPIRED for a turn that ran as plain JSON, 422 for a bad resume point', async () => {
    const session = await newSession(a());
    const turn = await call('POST', `/v1/sessions/${session}/messages`, a(), { content: 'Hello' });
    expect(turn.status).toBe(200);
    const events = await call('GET', `/v1/turns/${turn.json.turn_id}/events`, a());
    expect([events.status, events.json.code]).toEqual([410, 'TURN_EVENTS_EXPIRED']);
    const badHeader = await call('GET', `/v1/turns/${turn.json.turn_id}/events`, { ...a(), 'last-event-id': 'abc' });
    expect([badHeader.status, badHeader.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    const badQuery = await call('GET', `/v1/turns/${turn.json.turn_id}/events?after=-1`, a());
    expect([badQuery.status, badQuery.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    const status = await call('GET', `/v1/turns/${turn.json.turn_id}`, a());
    expect(status.json).toMatchObject({ status: 'completed', turn_id: turn.json.turn_id, session_id: session });
    expect(status.json.reply).toEqual(turn.json.reply);
    expect(status.json.usage).toEqual(turn.json.usage);
  });
});

describe('background turns', () => {
  it('answers 202 at once; the turn runs on, its status and events are readable, then its result', async () => {
    const session = await newSession(a());
    const started = await call('POST', `/v1/sessions/${session}/messages`, a(), { content: LONG, background: true });
    expect(started.status).toBe(202);
    const turnId = started.json.turn_id as string;
    expect(started.json).toMatchObject({
      status: 'running',
      session_id: session,
      status_url: `/v1/turns/${turnId}`,
      events_url: `/v1/turns/${turnId}/events`,
      user_message: { id: turnId, role: 'user' },
    });
    expect((await call('GET', `/v1/turns/${turnId}`, a())).json).toMatchObject({ status: 'running', reply: null });
    const events = await (await connectSse(`${baseUrl}${started.json.events_url}`, { headers: a() })).rest();
    expect(events[0]).toMatchObject({ id: 1, event: 'turn-start' });
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    const end = events.at(-1) as SseMessage;
    expect(end.event).toBe('turn-end');
    const status = await call('GET', `/v1/turns/${turnId}`, a());
    expect(status.json.status).toBe('completed');
    expect(status.json.reply.content[0].text).toBe(text(events));
    expect(status.json.usage).toEqual(end.data.usage);
    expect(status.json.latency_ms).toBe(end.data.latency_ms);
  });

  it('is stopped by the cancel endpoint and reports cancelled; errors before the start answer as usual', async () => {
    const session = await newSession(a());
    const started = await call('POST', `/v1/sessions/${session}/messages`, a(), { content: LONG, background: true });
    const turnId = started.json.turn_id as string;
    expect((await call('POST', `/v1/turns/${turnId}/cancel`, b())).json.code).toBe('TURN_NOT_FOUND');
    expect((await call('POST', `/v1/turns/${turnId}/cancel`, a())).status).toBe(202);
    await expect
      .poll(async () => (await call('GET', `/v1/turns/${turnId}`, a())).json.status, { timeout: 10_000 })
      .toBe('cancelled');
    const missing = await call('POST', '/v1/sessions/ses_00000000000000000000000000/messages', a(), {
      content: 'x',
      background: true,
    });
    expect([missing.status, missing.json.code]).toEqual([404, 'SESSION_NOT_FOUND']);
    const wrongType = await call('POST', `/v1/sessions/${session}/messages`, a(), { content: 'x', background: 'yes' });
    expect([wrongType.status, wrongType.json.code]).toEqual([422, 'VALIDATION_FAILED']);
  });
});

describe('the resume window', () => {
  let short: ReplicaSet;
  afterAll(async () => {
    await short?.close();
  });

  it('drops a turn’s events after STREAM_RESUME_WINDOW_MS: 410, while its status stays readable', async () => {
    short = await startReplicas({ count: 1, env: { STREAM_RESUME_WINDOW_MS: '200' } });
    const url = (short.replicas[0] as { baseUrl: string }).baseUrl;
    const tenant = { 'tenant-id': 'window-tenant' };
    const session = await fetch(`${url}/v1/sessions`, {
      method: 'POST',
      headers: { ...tenant, 'content-type': 'application/json' },
      body: '{}',
    });
    const { id } = (await session.json()) as { id: string };
    const events = await (
      await connectSse(`${url}/v1/sessions/${id}/messages`, { headers: tenant, body: { content: 'Hello' } })
    ).rest();
    const turnId = String(events[0]?.data.turn_id);
    await expect
      .poll(async () => (await fetch(`${url}/v1/turns/${turnId}/events`, { headers: tenant })).status, {
        timeout: 5_000,
      })
      .toBe(410);
    const status = await fetch(`${url}/v1/turns/${turnId}`, { headers: tenant });
    expect(((await status.json()) as { status: string }).status).toBe('completed');
  });
});
