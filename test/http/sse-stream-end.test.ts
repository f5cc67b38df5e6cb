import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { connectSse } from '../helpers/sse-client.ts';

const ADMIN = `admin-${'e'.repeat(40)}`;

type Headers = Record<string, string>;
let set: ReplicaSet;
let baseUrl: string;
let port: number;
let headers: Headers;

beforeAll(async () => {
  set = await startReplicas({ count: 1, adminKey: ADMIN });
  baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  port = Number(new URL(baseUrl).port);
  headers = (await createTenantWithKey(baseUrl, ADMIN, 'sse-end')).headers;
});
afterAll(async () => {
  await set?.close();
});

const newSession = async () => (await request(baseUrl, 'POST', '/v1/sessions', headers, {})).json.id as string;

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
