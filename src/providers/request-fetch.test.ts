import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFetch } from './request-fetch.ts';

let server: Server;
let base: string;
const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
const dispatcher = new Agent();
const call = requestFetch(dispatcher);

beforeAll(async () => {
  server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      seen.push({
        method: String(request.method),
        url: String(request.url),
        headers: request.headers,
        body: Buffer.concat(parts).toString(),
      });
      switch (request.url) {
        case '/json':
          response.setHeader('set-cookie', ['a=1', 'b=2']);
          response.writeHead(201, { 'content-type': 'application/json' });
          response.end('{"ok":true}');
          return;
        case '/empty':
          response.writeHead(204).end();
          return;
        case '/teapot':
          response.writeHead(400, 'Model Is Asleep', { 'content-type': 'text/plain' }).end('gateway says no');
          return;
        case '/moved':
          response.writeHead(307, { location: '/json' }).end();
          return;
        case '/gzip':
          response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('zipped'));
          return;
        case '/br':
          response.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync('brotli'));
          return;
        case '/odd-encoding':
          response.writeHead(200, { 'content-encoding': 'lzw' }).end('?');
          return;
        case '/stream':
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write('data: 1\n\n');
          // Holds the rest until the client goes away (or the test cuts it).
          return;
        case '/cut':
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write('data: 1\n\n', () => setTimeout(() => response.socket?.destroy(), 20));
          return;
        case '/big':
          response.writeHead(200);
          response.end(Buffer.alloc(8 * 1024 * 1024, 'x'));
          return;
        default:
          response.writeHead(404).end('no');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await dispatcher.close();
});

describe('requestFetch (undici request as the providers’ fetch)', () => {
  it('sends the method, headers and body; answers status, every header and the body', async () => {
    const response = await call(`${base}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: '{"q":1}',
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/json',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"q":1}',
    });
    // Headers given as a Headers object, and a URL object, work too.
    const again = await call(new URL(`${base}/json`), { headers: new Headers({ 'x-one': '1' }) });
    expect(await again.text()).toBe('{"ok":true}');
    expect(seen.at(-1)?.headers['x-one']).toBe('1');
  });

  it('answers a 204 with no body and a 404 as a response, not an error', async () => {
    const empty = await call(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const missing = await call(`${base}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('no');
  });

  it('answers the status text: the server’s reason phrase, else the standard one (the SDKs’ error message falls back to it)', async () => {
    const refused = await call(`${base}/teapot`, { method: 'POST', body: '{}' });
    expect(refused.statusText).toBe('Model Is Asleep');
    expect(await refused.text()).toBe('gateway says no');
    const missing = await call(`${base}/nowhere`);
    expect(missing.statusText).toBe('Not Found');
    expect((await call(`${base}/empty`)).statusText).toBe('No Content');
  });

  it('follows a redirect (through fetch)', async () => {
    const response = await call(`${base}/moved`, { method: 'POST', body: 'again' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({ url: '/json', body: 'again' });
  });

  it('decodes a gzip or brotli body it did not ask for, and refuses an unknown encoding like fetch', async () => {
    expect(await (await call(`${base}/gzip`)).text()).toBe('zipped');
    expect(await (await call(`${base}/br`)).text()).toBe('brotli');
    const refused = await call(`${base}/odd-encoding`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).message).toBe('fetch failed');
  });

  it('rejects a refused connection as fetch does: TypeError("fetch failed") with the cause', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const error = await call(`http://127.0.0.1:${port}/`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('fetch failed');
    expect(((error as TypeError).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('streams the body as it comes; an abort ends the read with the signal’s reason', async () => {
    const abort = new AbortController();
    const response = await call(`${base}/stream`, { signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: 1\n\n');
    const reason = new Error('stop');
    abort.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
    // Aborted before the answer: rejects with the reason too.
    await expect(call(`${base}/json`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('a connection cut mid-body errors the stream with TypeError("terminated"), as fetch does', async () => {
    const response = await call(`${base}/cut`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const error = await reader.read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('terminated');
  });

  it('reads a large body whole, and cancelling a body closes it', async () => {
    const big = await call(`${base}/big`);
    expect((await big.arrayBuffer()).byteLength).toBe(8 * 1024 * 1024);
    const stream = await call(`${base}/stream`);
    await stream.body?.cancel();
    expect(stream.bodyUsed).toBe(true);
  });

  it('passes what it does not handle (a Request object) to fetch', async () => {
    const response = await call(new Request(`${base}/json`, { method: 'POST', body: 'r' }));
    expect(response.status).toBe(201);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: 'r' });
  });
});
