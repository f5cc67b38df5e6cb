import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { connectSse, type SseMessage } from '../helpers/sse-client.ts';

const ADMIN = `admin-${'e'.repeat(40)}`;
// The reply quotes the message, so a long message makes a turn that streams for a few seconds.
const LONG = Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ');

type Headers = Record<string, string>;
let set: ReplicaSet;
let baseUrl: string;
let port: number;
let headers: Headers;
/** A deployment with the compatibility switch on: a turn's failure is still named `error`. */
let legacy: ReplicaSet;
let legacyUrl: string;
let legacyHeaders: Headers;

beforeAll(async () => {
  set = await startReplicas({ count: 1, adminKey: ADMIN, simulatedWordDelayMs: 20 });
  baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  port = Number(new URL(baseUrl).port);
  headers = (await createTenantWithKey(baseUrl, ADMIN, 'sse-end')).headers;
  legacy = await startReplicas({
    count: 1,
    adminKey: ADMIN,
    env: { STREAM_LEGACY_ERROR_EVENT: 'true' },
    simulatedWordDelayMs: 20,
  });
  legacyUrl = (legacy.replicas[0] as { baseUrl: string }).baseUrl;
  legacyHeaders = (await createTenantWithKey(legacyUrl, ADMIN, 'sse-end-legacy')).headers;
});
afterAll(async () => {
  await set?.close();
  await legacy?.close();
});

const newSession = async (url = baseUrl, as = headers) =>
  (await request(url, 'POST', '/v1/sessions', as, {})).json.id as string;

/** Starts a long streamed turn, cancels it once it has started, and returns every event it sent. */
async function cancelledTurn(url: string, as: Headers) {
  const stream = await connectSse(`${url}/v1/sessions/${await newSession(url, as)}/messages`, {
    headers: as,
    body: { content: LONG },
  });
  const start = (await stream.next()) as SseMessage;
  expect(start.event).toBe('turn-start');
  const turnId = String(start.data.turn_id);
  expect((await request(url, 'POST', `/v1/turns/${turnId}/cancel`, as)).status).toBe(202);
  return { turnId, events: [start, ...(await stream.rest())] };
}

/**
 * One HTTP/1.1 request written by hand on a fresh TCP connection. `until` resolves once the text
 * received so far contains the marker; `serverClosed` once the server has closed its side (FIN).
 */
function rawRequest(method: string, path: string, extra: Headers, body?: unknown) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const lines = [`${method} ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`];
  for (const [name, value] of Object.entries({ ...headers, ...extra })) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push('content-type: application/json', `content-length: ${Buffer.byteLength(payload)}`);
  const socket = connect({ host: '127.0.0.1', port });
  socket.setEncoding('utf8');
  let received = '';
  const waiters: { marker: string; resolve: () => void }[] = [];
  socket.on('data', (chunk: string) => {
    received += chunk;
    for (const waiter of waiters.filter((candidate) => received.includes(candidate.marker))) waiter.resolve();
  });
  const serverClosed = once(socket, 'end').then(() => received);
  socket.write(`${lines.join('\r\n')}\r\n\r\n${payload}`);
  return {
    until: (marker: string) =>
      new Promise<string>((resolve) => {
        if (received.includes(marker)) resolve(received);
        else waiters.push({ marker, resolve: () => resolve(received) });
      }),
    serverClosed,
    destroy: () => socket.destroy(),
  };
}

/** The head of a raw answer: its status and its headers (lower-case names). */
function headOf(text: string): { status: number; headers: Record<string, string> } {
  const [statusLine = '', ...headerLines] = (text.split('\r\n\r\n')[0] ?? '').split('\r\n');
  const fields = headerLines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
  });
  return { status: Number(statusLine.split(' ')[1]), headers: Object.fromEntries(fields) };
}

describe('SSE and Connection: close', () => {
  it('a streamed turn honours Connection: close: the header says close and the server closes the socket after the last event', async () => {
    const session = await newSession();
    const exchange = rawRequest(
      'POST',
      `/v1/sessions/${session}/messages`,
      { accept: 'text/event-stream', connection: 'close' },
      { content: 'Hello' },
    );
    try {
      const head = headOf(await exchange.until('event: turn-end'));
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(head.headers.connection).toBe('close');
      // Resolves only once the server closes the connection (the old writer kept it open for 72 s).
      expect(await exchange.serverClosed).toContain('event: turn-end');
    } finally {
      exchange.destroy();
    }
  });

  it('without Connection: close the stream stays a keep-alive response', async () => {
    const session = await newSession();
    const stream = await connectSse(`${baseUrl}/v1/sessions/${session}/messages`, {
      headers,
      body: { content: 'Hello' },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('connection')).toBe('keep-alive');
    expect((await stream.rest()).at(-1)?.event).toBe('turn-end');
  });
});

describe('the end of a resumed stream', () => {
  it('answers 204 for a turn that has ended when nothing is left after Last-Event-ID (or after)', async () => {
    const stream = await connectSse(`${baseUrl}/v1/sessions/${await newSession()}/messages`, {
      headers,
      body: { content: 'Hello' },
    });
    const events = await stream.rest();
    const last = events.at(-1) as SseMessage;
    expect(last.event).toBe('turn-end');
    const url = `${baseUrl}/v1/turns/${last.data.turn_id}/events`;

    // What an EventSource sends when it reconnects after the final event: 204 tells it to stop.
    const finished = await request(baseUrl, 'GET', `/v1/turns/${last.data.turn_id}/events`, {
      ...headers,
      accept: 'text/event-stream',
      'last-event-id': String(last.id),
    });
    expect(finished.status).toBe(204);
    expect(finished.text).toBe('');
    expect((await fetch(`${url}?after=${last.id}`, { headers })).status).toBe(204);

    // One event left: it comes as a stream, which then ends.
    const tail = await connectSse(url, { headers: { ...headers, 'last-event-id': String(last.id - 1) } });
    expect(tail.status).toBe(200);
    expect((await tail.rest()).map((event) => [event.id, event.event])).toEqual([[last.id, 'turn-end']]);
  });

  it('names a turn’s failure `turn-error` (not `error`, which EventSource uses for its own failures), live and resumed', async () => {
    const { turnId, events } = await cancelledTurn(baseUrl, headers);
    const last = events.at(-1) as SseMessage;
    expect([last.event, last.data.code]).toEqual(['turn-error', 'TURN_CANCELLED']);
    expect(events.map((event) => event.event)).not.toContain('error');
    const replay = await connectSse(`${baseUrl}/v1/turns/${turnId}/events`, { headers });
    expect((await replay.rest()).at(-1)?.event).toBe('turn-error');
    const after = await fetch(`${baseUrl}/v1/turns/${turnId}/events`, {
      headers: { ...headers, 'last-event-id': String(last.id) },
    });
    expect(after.status).toBe(204);
  });

  it('with STREAM_LEGACY_ERROR_EVENT=true the failure keeps its old name, `error`', async () => {
    const { turnId, events } = await cancelledTurn(legacyUrl, legacyHeaders);
    expect([events.at(-1)?.event, events.at(-1)?.data.code]).toEqual(['error', 'TURN_CANCELLED']);
    const replay = await connectSse(`${legacyUrl}/v1/turns/${turnId}/events`, { headers: legacyHeaders });
    expect((await replay.rest()).at(-1)?.event).toBe('error');
  });
});
