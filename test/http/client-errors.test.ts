import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawAnswer, rawExchange } from '../helpers/raw-http.ts';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';

/**
 * Requests that node's HTTP parser refuses before any route runs (broken framing, bad headers,
 * oversized headers, an unsupported Expect) answer problem+json with a stable code, like every
 * other error, and an early answer reaches a client that is still uploading.
 */

const ADMIN = `admin-${'c'.repeat(40)}`;
let set: ReplicaSet;
let port: number;
let key: string;
let sessionId: string;

beforeAll(async () => {
  // Slow simulated replies, so that a turn's SSE stream is still being written when a test breaks it.
  set = await startReplicas({ count: 1, adminKey: ADMIN, simulatedWordDelayMs: 20 });
  const baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  port = Number(new URL(baseUrl).port);
  key = (await createTenantWithKey(baseUrl, ADMIN, 'framing')).key;
  sessionId = (await request(baseUrl, 'POST', '/v1/sessions', { authorization: `Bearer ${key}` }, {})).json.id;
});
afterAll(async () => {
  await set?.close();
});

function expectProblem(answer: RawAnswer | null, status: number, code: string): void {
  expect(answer, 'no answer').not.toBeNull();
  const { status: got, headers, body, raw } = answer as RawAnswer;
  expect(got, raw.slice(0, 400)).toBe(status);
  expect(headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(body);
  expect(problem).toMatchObject({ status, code, type: expect.stringMatching(/^urn:enclave:error:/) });
  expect(problem.request_id).toBe(headers['x-request-id']);
  expect(typeof problem.detail).toBe('string');
}

const post = (headers: string) =>
  `POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n${headers}\r\n`;

describe('requests the HTTP parser refuses', () => {
  const cases: Array<[string, () => string, number, string]> = [
    ['a Content-Length that is not a number', () => `${post('Content-Length: abc\r\n')}{}`, 400, 'MALFORMED_REQUEST'],
    [
      'two different Content-Lengths',
      () => `${post('Content-Length: 2\r\nContent-Length: 3\r\n')}{}`,
      400,
      'MALFORMED_REQUEST',
    ],
    [
      'Content-Length with Transfer-Encoding',
      () => `${post('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n')}0\r\n\r\n`,
      400,
      'MALFORMED_REQUEST',
    ],
    [
      'a chunk size that is not hex',
      () => `${post('Transfer-Encoding: chunked\r\n')}zz\r\n{}\r\n0\r\n\r\n`,
      400,
      'MALFORMED_REQUEST',
    ],
    [
      'a chunk longer than its size',
      () => `${post('Transfer-Encoding: chunked\r\n')}1\r\n{}\r\n0\r\n\r\n`,
      400,
      'MALFORMED_REQUEST',
    ],
    [
      'a NUL in a header value',
      () => 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\u0000b\r\n\r\n',
      400,
      'MALFORMED_REQUEST',
    ],
    [
      'a NUL in a header name',
      () => 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-\u0000: b\r\n\r\n',
      400,
      'MALFORMED_REQUEST',
    ],
    ['an unknown method', () => 'BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['an unknown HTTP version', () => 'GET /healthz HTTP/7.3\r\nHost: x\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ['no Host header', () => 'GET /healthz HTTP/1.1\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    [
      'headers over the size limit',
      () => `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
    ['Expect: bogus', () => `${post('Expect: bogus\r\nContent-Length: 2\r\n')}{}`, 417, 'EXPECTATION_FAILED'],
  ];
  for (const [name, request, status, code] of cases) {
    it(`answers ${name} with ${status} ${code} as problem+json`, async () => {
      expectProblem(await rawExchange(port, [request()]), status, code);
    });
  }

  it('still serves the next connection, and Expect: 100-continue works', async () => {
    const answer = await rawExchange(port, [`${post('Expect: 100-continue\r\nContent-Length: 2\r\n')}{}`]);
    expect(answer?.raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
  });
});

describe('an early answer to a large upload', () => {
  it('431 reaches a client that keeps sending its headers', async () => {
    const start = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}`;
    expectProblem(await rawExchange(port, [start], { upload: 4 * 1024 * 1024 }), 431, 'HEADERS_TOO_LARGE');
  });

  it('413 reaches a client that keeps sending a body over the limit', async () => {
    const start = post('Content-Length: 50000000\r\n');
    expectProblem(await rawExchange(port, [start], { upload: 4 * 1024 * 1024 }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('413 reaches a client that keeps sending a chunked body over the limit', async () => {
    const chunk = `10000\r\n${'a'.repeat(0x10000)}\r\n`;
    const chunks = [post('Transfer-Encoding: chunked\r\n'), ...Array.from({ length: 32 }, () => chunk)];
    expectProblem(await rawExchange(port, chunks), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('a broken request pipelined behind an answer being written', () => {
  it('cuts the connection without writing into the stream', async () => {
    const body = JSON.stringify({ content: 'tell me a long story' });
    const turn = `POST /v1/sessions/${sessionId}/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const received = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (data: Buffer) => {
        // Once the stream has started, the same connection sends a request with broken framing.
        if (text === '') socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
        text += data.toString();
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(text));
      socket.write(turn);
    });
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toContain('event: turn-start');
    expect(received).not.toContain('MALFORMED_REQUEST');
    expect(received.match(/HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
  });
});
