import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundResolver } from '../../src/outbound/guarded-connector.ts';
import {
  closeOutboundFetch,
  createOutboundFetch,
  type OutboundFetchOptions,
} from '../../src/outbound/outbound-fetch.ts';
import { parseOutboundAllow } from '../../src/outbound/outbound-policy.ts';

/**
 * The guarded client end to end, on loopback only: real HTTP servers on 127.0.0.1 and [::1],
 * reached (or not) through the operator allowlist, as the MCP and OAuth code will use it. A plain
 * TCP listener stands on each port that must stay unreached and counts connections and bytes.
 */

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Closes the server after the test, cutting its open connections first. */
function track(server: Server): void {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
}

/** A TCP listener that must never be reached: it counts connections and bytes. */
async function tripwire(host: '127.0.0.1' | '::1'): Promise<{ port: number; connections: number; bytes: number }> {
  const state = { port: 0, connections: 0, bytes: 0 };
  const server = createTcpServer((socket) => {
    state.connections++;
    socket.on('data', (chunk) => {
      state.bytes += chunk.length;
      socket.end(); // a broken guard then fails fast instead of waiting for a timeout
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as { port: number }).port;
  track(server);
  return state;
}

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  apiKey?: string;
  body: string;
}

/** An HTTP server on loopback that records every request. */
async function httpServer(
  handler: (request: IncomingMessage, response: ServerResponse, body: string) => void,
  host: '127.0.0.1' | '::1' = '127.0.0.1',
): Promise<{ port: number; origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createHttpServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      body,
      ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      ...(request.headers['x-api-key'] ? { apiKey: String(request.headers['x-api-key']) } : {}),
    });
    handler(request, response, body);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  track(server);
  return { port, origin: host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`, seen };
}

function guarded(allow: string, extra: Partial<OutboundFetchOptions> = {}) {
  return createOutboundFetch({ policy: parseOutboundAllow(allow), ...extra });
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('the request was not refused');
    },
    (error: unknown) => error,
  );
}

describe('outbound fetch on loopback: what the guard refuses', () => {
  it('refuses 127.0.0.1 outside the allowlist, and no byte reaches the port', async () => {
    const blocked = await tripwire('127.0.0.1');
    const allowed = await httpServer((_q, response) => response.end('ok'));
    const fetch = guarded(`127.0.0.1:${allowed.port}`);
    expect(await refusal(fetch(`http://127.0.0.1:${blocked.port}/`))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'loopback',
      details: { host: '127.0.0.1', port: blocked.port, redirect: false },
    });
    expect(await refusal(fetch(`http://127.0.0.1:${blocked.port}/`, { method: 'POST', body: 'x' }))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
    });
    expect(blocked).toMatchObject({ connections: 0, bytes: 0 });
    expect(await (await fetch(`${allowed.origin}/`)).text()).toBe('ok');
  });

  it('refuses [::1] (and its IPv4-mapped spelling of 127.0.0.1) outside the allowlist', async () => {
    const blocked6 = await tripwire('::1');
    const blocked4 = await tripwire('127.0.0.1');
    const fetch = guarded('');
    expect(await refusal(fetch(`http://[::1]:${blocked6.port}/`))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'loopback',
    });
    expect(await refusal(fetch(`http://[::ffff:127.0.0.1]:${blocked4.port}/`))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'loopback',
    });
    expect(blocked6).toMatchObject({ connections: 0, bytes: 0 });
    expect(blocked4).toMatchObject({ connections: 0, bytes: 0 });
    const allowed = await httpServer((_q, response) => response.end('over IPv6'), '::1');
    const open = guarded(`[::1]:${allowed.port}`);
    expect(await (await open(`${allowed.origin}/`)).text()).toBe('over IPv6');
    await closeOutboundFetch(open);
    await expect(open(`${allowed.origin}/`)).rejects.toThrow();
  });

  it('refuses a host name that resolves to loopback', async () => {
    const blocked = await tripwire('127.0.0.1');
    const blocked6 = await tripwire('::1');
    const resolver: OutboundResolver = async () => [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
    const fetch = guarded('', { resolver });
    expect(await refusal(fetch(`http://tools.example.com:${blocked.port}/mcp`))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'loopback',
      details: { host: 'tools.example.com', address: '127.0.0.1' },
    });
    expect(await refusal(fetch(`http://tools.example.com:${blocked6.port}/mcp`))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
    });
    expect(blocked).toMatchObject({ connections: 0, bytes: 0 });
    expect(blocked6).toMatchObject({ connections: 0, bytes: 0 });
  });

  it('refuses a redirect from an allowed loopback port to a blocked one, which gets no byte', async () => {
    const blocked = await tripwire('127.0.0.1');
    const allowed = await httpServer((_q, response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${blocked.port}/internal` }).end();
    });
    const fetch = guarded(`127.0.0.1:${allowed.port}`);
    expect(await refusal(fetch(`${allowed.origin}/start`, { headers: { authorization: 'Bearer t' } }))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'loopback',
      details: { port: blocked.port, redirect: true },
    });
    expect(allowed.seen).toHaveLength(1);
    expect(blocked).toMatchObject({ connections: 0, bytes: 0 });
  });

  it('refuses a redirect to another scheme', async () => {
    const allowed = await httpServer((_q, response) =>
      response.writeHead(307, { location: 'file:///etc/passwd' }).end(),
    );
    const fetch = guarded(`127.0.0.1:${allowed.port}`);
    expect(await refusal(fetch(allowed.origin))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'scheme',
      details: { redirect: true },
    });
  });

  it('refuses a redirect to a name that resolves to loopback', async () => {
    const blocked = await tripwire('127.0.0.1');
    const allowed = await httpServer((_q, response) =>
      response.writeHead(301, { location: `http://rebound.example.com:${blocked.port}/` }).end(),
    );
    const resolver: OutboundResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const fetch = guarded(`127.0.0.1:${allowed.port}`, { resolver });
    expect(await refusal(fetch(allowed.origin))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      details: { host: 'rebound.example.com', redirect: true },
    });
    expect(blocked).toMatchObject({ connections: 0, bytes: 0 });
  });
});

describe('outbound fetch on loopback: redirects, caps and timeouts', () => {
  it('follows allowed redirects as fetch does, dropping credentials when the origin changes', async () => {
    const second = await httpServer((request, response) => response.end(`second ${request.method}`));
    const first = await httpServer((request, response) => {
      if (request.url === '/same') response.writeHead(307, { location: '/final' }).end();
      else if (request.url === '/other') response.writeHead(308, { location: `${second.origin}/there` }).end();
      else if (request.url === '/see-other') response.writeHead(303, { location: '/final' }).end();
      else response.end(`final ${request.method}`);
    });
    const fetch = guarded(`127.0.0.1:${first.port}, 127.0.0.1:${second.port}`);
    const headers = {
      authorization: 'Bearer tenant-secret',
      'x-api-key': 'another-tenant-secret',
      'content-type': 'application/json',
    };

    const same = await fetch(`${first.origin}/same`, { method: 'POST', headers, body: '{"a":1}' });
    expect(await same.text()).toBe('final POST');
    expect(same).toMatchObject({ redirected: true, url: `${first.origin}/final` });
    expect(first.seen.at(-1)).toEqual({
      method: 'POST',
      url: '/final',
      body: '{"a":1}',
      authorization: 'Bearer tenant-secret',
      apiKey: 'another-tenant-secret',
    });

    expect(await (await fetch(`${first.origin}/other`, { method: 'POST', headers, body: '{"b":2}' })).text()).toBe(
      'second POST',
    );
    expect(second.seen.at(-1)).toEqual({ method: 'POST', url: '/there', body: '{"b":2}' });

    expect(await (await fetch(`${first.origin}/see-other`, { method: 'POST', headers, body: 'x' })).text()).toBe(
      'final GET',
    );
    expect(first.seen.at(-1)).toMatchObject({ method: 'GET', body: '' });
  });

  it('stops after maxRedirects with OUTBOUND_TOO_MANY_REDIRECTS', async () => {
    const loop = await httpServer((request, response) => {
      const hop = Number(request.url?.slice(1) ?? 0);
      response.writeHead(302, { location: `/${hop + 1}` }).end();
    });
    const fetch = guarded(`127.0.0.1:${loop.port}`, { maxRedirects: 3 });
    expect(await refusal(fetch(`${loop.origin}/0`))).toMatchObject({ code: 'OUTBOUND_TOO_MANY_REDIRECTS' });
    expect(loop.seen.map((seen) => seen.url)).toEqual(['/0', '/1', '/2', '/3']);
  });

  it('returns a redirect as it is with redirect: "manual"', async () => {
    const blocked = await tripwire('127.0.0.1');
    const server = await httpServer((_q, response) =>
      response.writeHead(302, { location: `http://127.0.0.1:${blocked.port}/` }).end(),
    );
    const response = await guarded(`127.0.0.1:${server.port}`)(server.origin, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`http://127.0.0.1:${blocked.port}/`);
    expect(blocked.connections).toBe(0);
  });

  it('refuses a body declared larger than maxResponseBytes before reading it', async () => {
    const server = await httpServer((_q, response) => {
      response.writeHead(200, { 'content-length': '2048' }).end('x'.repeat(2048));
    });
    const fetch = guarded(`127.0.0.1:${server.port}`, { maxResponseBytes: 1024 });
    expect(await refusal(fetch(server.origin))).toMatchObject({ code: 'OUTBOUND_RESPONSE_TOO_LARGE' });
  });

  it('errors a streamed body when it crosses maxResponseBytes, and passes one under it', async () => {
    const server = await httpServer((request, response) => {
      const size = request.url === '/big' ? 5000 : 1000;
      response.writeHead(200, { 'content-type': 'text/plain' });
      for (let sent = 0; sent < size; sent += 500) response.write('y'.repeat(500));
      response.end();
    });
    const fetch = guarded(`127.0.0.1:${server.port}`, { maxResponseBytes: 1024 });
    expect((await (await fetch(`${server.origin}/small`)).text()).length).toBe(1000);
    const big = await fetch(`${server.origin}/big`);
    expect(await refusal(big.text())).toMatchObject({ code: 'OUTBOUND_RESPONSE_TOO_LARGE' });
  });

  it('counts the decompressed size, so a compressed bomb is cut too', async () => {
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(Buffer.alloc(1_000_000));
    const server = await httpServer((_q, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(bomb.length) }).end(bomb);
    });
    const fetch = guarded(`127.0.0.1:${server.port}`, { maxResponseBytes: 64 * 1024 });
    const response = await fetch(server.origin);
    expect(await refusal(response.arrayBuffer())).toMatchObject({ code: 'OUTBOUND_RESPONSE_TOO_LARGE' });
  });

  it('fails with OUTBOUND_TIMEOUT when no headers come within timeoutMs', async () => {
    const silent = createTcpServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    track(silent);
    const { port } = silent.address() as { port: number };
    const fetch = guarded(`127.0.0.1:${port}`, { timeoutMs: 200 });
    expect(await refusal(fetch(`http://127.0.0.1:${port}/`))).toMatchObject({ code: 'OUTBOUND_TIMEOUT' });
  });

  it("rejects with the caller's abort reason when the caller aborts", async () => {
    const silent = createTcpServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    track(silent);
    const { port } = silent.address() as { port: number };
    const controller = new AbortController();
    const pending = guarded(`127.0.0.1:${port}`)(`http://127.0.0.1:${port}/`, { signal: controller.signal });
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await refusal(pending)).toBe(reason);
  });

  it('ends a body still streaming when the caller aborts after the headers (as an MCP client closing a stream does)', async () => {
    const server = await httpServer((_q, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: first\n\n'); // then nothing more: an idle event stream
    });
    const controller = new AbortController();
    const response = await guarded(`127.0.0.1:${server.port}`)(server.origin, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    const reason = new Error('stream closed by the caller');
    controller.abort(reason);
    expect(await refusal(reader.read())).toBe(reason);
  });

  it('takes a Request object, as fetch does', async () => {
    const server = await httpServer((_q, response, body) => response.end(`got ${body}`));
    const fetch = guarded(`127.0.0.1:${server.port}`);
    const request = new Request(`${server.origin}/r`, { method: 'POST', body: 'payload', headers: { 'x-a': '1' } });
    expect(await (await fetch(request)).text()).toBe('got payload');
  });
});

describe('outbound fetch through an egress proxy (loopback CONNECT proxy)', () => {
  /** A minimal CONNECT proxy on loopback that records what it was asked to tunnel to. */
  async function connectProxy(): Promise<{ url: string; tunnels: string[] }> {
    const tunnels: string[] = [];
    const proxy = createHttpServer((_q, response) => response.writeHead(405).end());
    proxy.on('connect', (request, client, head) => {
      tunnels.push(request.url ?? '');
      const [host = '', port = ''] = (request.url ?? '').split(/:(?=\d+$)/);
      if (!['127.0.0.1', '[::1]'].includes(host)) {
        // This test proxy only reaches loopback literals: it never resolves a name.
        client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
        return;
      }
      const upstream = tcpConnect({ host: host.replace(/^\[|\]$/g, ''), port: Number(port) }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    track(proxy);
    return { url: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`, tunnels };
  }

  it('tunnels allowed requests through the proxy, and refuses blocked ones before asking it', async () => {
    const proxy = await connectProxy();
    const target = await httpServer((_q, response) => response.end('via proxy'));
    const blocked = await tripwire('127.0.0.1');
    const fetch = guarded(`127.0.0.1:${target.port}`, { proxy: proxy.url });
    expect(await (await fetch(`${target.origin}/x`)).text()).toBe('via proxy');
    expect(proxy.tunnels).toEqual([`127.0.0.1:${target.port}`]);

    expect(await refusal(fetch(`http://127.0.0.1:${blocked.port}/`))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'loopback',
    });
    const resolver: OutboundResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const withNames = guarded(`127.0.0.1:${target.port}`, { proxy: proxy.url, resolver });
    expect(await refusal(withNames(`http://internal.example.com:${blocked.port}/`))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      details: { host: 'internal.example.com', address: '127.0.0.1' },
    });
    expect(proxy.tunnels).toEqual([`127.0.0.1:${target.port}`]);
    expect(blocked).toMatchObject({ connections: 0, bytes: 0 });
  });

  it('leaves a name this host cannot resolve to the proxy', async () => {
    const proxy = await connectProxy();
    const resolver: OutboundResolver = async (hostname) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    };
    const fetch = guarded('', { proxy: proxy.url, resolver });
    // The test proxy answers 502 to any name: the request fails at the proxy, after the guard let it through.
    await expect(fetch('http://only-the-proxy-knows.invalid/')).rejects.toThrow();
    expect(proxy.tunnels).toEqual(['only-the-proxy-knows.invalid:80']);
  });
});
