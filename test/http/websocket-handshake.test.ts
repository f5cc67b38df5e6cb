import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RawAnswer, rawExchange } from '../helpers/raw-http.ts';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey } from '../helpers/request.ts';

/**
 * An upgrade request whose WebSocket handshake headers are unusable gets problem+json with a code on
 * any route, before the upgrade, instead of the `ws` library's bare text/html 400 or 405.
 */

const ADMIN = `admin-${'h'.repeat(40)}`;
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
let set: ReplicaSet;
let port: number;
let key: string;

beforeAll(async () => {
  set = await startReplicas({ count: 1, adminKey: ADMIN });
  const baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  port = Number(new URL(baseUrl).port);
  key = (await createTenantWithKey(baseUrl, ADMIN, 'handshake')).key;
});
afterAll(async () => {
  await set?.close();
});

/** An upgrade request with a valid credential and these handshake headers (null leaves one out). */
function upgrade(target: string, handshake: Record<string, string | null>): Promise<RawAnswer | null> {
  const headers: Record<string, string | null> = {
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...handshake,
  };
  const lines = [`${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: Upgrade', `Authorization: Bearer ${key}`];
  for (const [name, value] of Object.entries(headers)) if (value !== null) lines.push(`${name}: ${value}`);
  return rawExchange(port, [`${lines.join('\r\n')}\r\n\r\n`]);
}

function expectMalformed(answer: RawAnswer | null): Record<string, unknown> {
  expect(answer, 'no answer').not.toBeNull();
  const { status, headers, body, raw } = answer as RawAnswer;
  expect(status, raw.slice(0, 400)).toBe(400);
  expect(headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(body);
  expect(problem).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST' });
  expect(problem.request_id).toBe(headers['x-request-id']);
  return { ...problem, headers };
}

describe('WebSocket handshake headers', () => {
  const cases: Array<[string, Record<string, string | null>]> = [
    ['no Sec-WebSocket-Key', { 'Sec-WebSocket-Key': null }],
    ['a Sec-WebSocket-Key that is not 16 bytes of base64', { 'Sec-WebSocket-Key': 'not-a-key' }],
    ['two Sec-WebSocket-Keys', { 'Sec-WebSocket-Key': `${KEY}, ${KEY}` }],
    ['no Sec-WebSocket-Version', { 'Sec-WebSocket-Version': null }],
    ['Sec-WebSocket-Version 99', { 'Sec-WebSocket-Version': '99' }],
    ['a Sec-WebSocket-Protocol with a space in a name', { 'Sec-WebSocket-Protocol': 'a b' }],
    ['an empty Sec-WebSocket-Protocol entry', { 'Sec-WebSocket-Protocol': 'a,,b' }],
    ['a repeated Sec-WebSocket-Protocol', { 'Sec-WebSocket-Protocol': 'a, a' }],
    ['Upgrade: h2c', { Upgrade: 'h2c' }],
  ];
  for (const [name, handshake] of cases) {
    it(`answers ${name} with 400 MALFORMED_REQUEST as problem+json`, async () => {
      expectMalformed(await upgrade('GET /v1/ws', handshake));
    });
  }

  it('names the versions it speaks when it refuses a version', async () => {
    const problem = expectMalformed(await upgrade('GET /v1/ws', { 'Sec-WebSocket-Version': '7' }));
    expect((problem.headers as Record<string, string>)['sec-websocket-version']).toBe('13, 8');
  });

  it('answers the same on other routes, and for an upgrade that is not a GET', async () => {
    expectMalformed(await upgrade('GET /healthz', { 'Sec-WebSocket-Key': null }));
    expectMalformed(await upgrade('DELETE /v1/sessions/ses_x', {}));
  });

  it('closes the connection of an upgrade whose URL the router refuses, after its problem+json', async () => {
    for (const path of ['/v1/sessions/%zz', `/v1/sessions/${'a'.repeat(300)}`]) {
      const wire = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
      // The server must end the connection itself: node no longer tracks an upgrade request's socket.
      const received = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        socket.on('data', (data: Buffer) => {
          text += data.toString();
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(text));
        socket.write(wire);
      });
      expect(received, path).toMatch(
        /^HTTP\/1\.1 422 [\s\S]*application\/problem\+json[\s\S]*"code":"VALIDATION_FAILED"/,
      );
    }
  });

  it('still upgrades a valid handshake with subprotocols', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, ['enclave.v1', 'chat'], {
      headers: { authorization: `Bearer ${key}` },
    });
    await new Promise((resolve, reject) => {
      socket.on('open', resolve);
      socket.on('error', reject);
    });
    socket.close();
  });
});
