import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { postTo, startTwoReplicas, type TwoReplicas } from '../helpers/replicas.ts';
import { connectSse, type SseMessage } from '../helpers/sse-client.ts';

const redisUrl = await redisForTests();
const ADMIN = `admin-${'r'.repeat(40)}`;
const LONG = Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ');

/**
 * Two replicas sharing one database and one Redis: a turn streams from A, its client drops and
 * resumes on B (the event log is in Redis), and B's reader keeps the turn alive on A past the
 * disconnect grace time.
 */
describe.skipIf(redisUrl === null)('resuming a stream on another replica (Redis event log)', () => {
  let replicas: TwoReplicas;

  beforeAll(async () => {
    replicas = await startTwoReplicas({
      adminKey: ADMIN,
      env: { REDIS_URL: redisUrl as string, STREAM_DISCONNECT_GRACE_MS: '1500' },
      simulatedWordDelayMs: 20,
      tenants: ['resume-owner', 'resume-other'],
    });
  });
  afterAll(async () => {
    await replicas?.close();
  });

  it('a stream cut on A resumes on B with Last-Event-ID: no gaps, no repeats, to the end', async () => {
    const { a, b, auth } = replicas;
    const owner = auth['resume-owner'] as Record<string, string>;
    const session = (await postTo(a, '/v1/sessions', owner, {})).json.id;
    const first = await connectSse(`${a.baseUrl}/v1/sessions/${session}/messages`, {
      headers: owner,
      body: { content: LONG },
    });
    const before: SseMessage[] = [];
    while (before.length < 5) before.push((await first.next()) as SseMessage);
    first.abort();
    const turnId = String(before[0]?.data.turn_id);

    const foreign = await fetch(`${b.baseUrl}/v1/turns/${turnId}/events`, {
      headers: auth['resume-other'] as Record<string, string>,
    });
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { code: string }).code).toBe('TURN_NOT_FOUND');

    const resumed = await connectSse(`${b.baseUrl}/v1/turns/${turnId}/events`, {
      headers: { ...owner, 'last-event-id': String(before.at(-1)?.id) },
    });
    expect(resumed.status).toBe(200);
    const all = [...before, ...(await resumed.rest())];
    expect(all.map((event) => event.id)).toEqual(all.map((_, index) => index + 1));
    // B followed the turn: A did not cancel it when its own client left.
    expect(all.at(-1)?.event).toBe('turn-end');
    const deltas = all.filter((event) => event.event === 'text-delta').map((event) => event.data.delta);
    expect(deltas.join('')).toBe(`Agent response to '${LONG}' with context: `);

    // Either replica reports the outcome from storage.
    for (const replica of [a, b]) {
      const status = await fetch(`${replica.baseUrl}/v1/turns/${turnId}`, { headers: owner });
      expect(((await status.json()) as { status: string }).status).toBe('completed');
    }
  });

  it('a background turn started on A is followed live from B', async () => {
    const { a, b, auth } = replicas;
    const owner = auth['resume-owner'] as Record<string, string>;
    const session = (await postTo(a, '/v1/sessions', owner, {})).json.id;
    const started = await postTo(a, `/v1/sessions/${session}/messages`, owner, { content: LONG, background: true });
    expect(started.status).toBe(202);
    const running = await fetch(`${b.baseUrl}/v1/turns/${started.json.turn_id}`, { headers: owner });
    expect(((await running.json()) as { status: string }).status).toBe('running');
    const events = await (await connectSse(`${b.baseUrl}${started.json.events_url}`, { headers: owner })).rest();
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(events.at(-1)?.event).toBe('turn-end');
  });
});
