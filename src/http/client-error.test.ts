import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { answerClientError } from './client-error.ts';

/** Calls `answerClientError` on the server side of a real loopback connection; returns what the client read. */
async function answer(code: string): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [socket] = (await once(server, 'connection')) as [Socket];
  let received = '';
  client.on('data', (data: Buffer) => {
    received += data.toString();
  });
  const error = Object.assign(new Error(code), { code });
  answerClientError(pino({ level: 'silent' }), error, socket);
  // A second parser error on the same connection writes nothing more.
  answerClientError(pino({ level: 'silent' }), error, socket);
  await once(client, 'end');
  client.destroy();
  server.close();
  return received;
}

describe('answerClientError', () => {
  it('answers each parser error with its problem+json and closes the connection', async () => {
    const cases: Array<[string, number, string]> = [
      ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'REQUEST_TIMEOUT'],
      ['HPE_HEADER_OVERFLOW', 431, 'HEADERS_TOO_LARGE'],
      ['HPE_INVALID_CONTENT_LENGTH', 400, 'MALFORMED_REQUEST'],
    ];
    for (const [code, status, problemCode] of cases) {
      const text = await answer(code);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/\r\nConnection: close(\r\n|$)/);
      expect(JSON.parse(body)).toMatchObject({ status, code: problemCode });
      expect(text.match(/(^|\r\n)HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
    }
  });
});
