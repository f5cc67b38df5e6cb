import { lookup } from 'node:dns/promises';
import { createServer, request } from 'node:http';
import { connect, type NetConnectOpts } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { takeLoopbackViolations } from './loopback-only.ts';

/** Connects and reports the error (or `connected`), never leaving the machine. */
function tryConnect(options: NetConnectOpts | number): Promise<string> {
  return new Promise((resolve) => {
    const socket = typeof options === 'number' ? connect(options) : connect(options);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(`${error.code}: ${error.message}`));
  });
}

describe('the loopback-only dial hook (test/setup/loopback-only.ts)', () => {
  afterEach(() => {
    takeLoopbackViolations();
  });

  it('stops a TCP connect to a non-loopback address before it is made, and records it', async () => {
    // 192.0.2.1 is TEST-NET-1: even if the hook were gone, nothing would answer there.
    expect(await tryConnect({ host: '192.0.2.1', port: 9 })).toMatch(/^ECONNREFUSED: loopback-only test guard/);
    expect(await tryConnect({ host: '::ffff:192.0.2.1', port: 9 })).toMatch(/loopback-only test guard/);
    expect(takeLoopbackViolations()).toEqual([
      'loopback-only test guard: refused a connection to 192.0.2.1',
      'loopback-only test guard: refused a connection to ::ffff:192.0.2.1',
    ]);
  });

  it('stops a connect to a host name other than localhost, and its DNS lookup', async () => {
    expect(await tryConnect({ host: 'example.invalid', port: 80 })).toMatch(/loopback-only test guard/);
    await expect(lookup('example.invalid')).rejects.toThrow(/refused a DNS lookup of example.invalid/);
    expect(takeLoopbackViolations()).toHaveLength(2);
  });

  it('stops an HTTP request to a non-loopback address', async () => {
    const outcome = await new Promise<string>((resolve) => {
      request('http://192.0.2.1:9/')
        .once('error', (error) => resolve(error.message))
        .end();
    });
    expect(outcome).toMatch(/loopback-only test guard/);
    expect(takeLoopbackViolations()).toHaveLength(1);
  });

  it('lets loopback through: 127.0.0.1, [::1], localhost', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(await tryConnect({ host: '127.0.0.1', port })).toBe('connected');
      expect(await tryConnect({ host: '::1', port })).toBe('connected');
      expect(await tryConnect({ host: 'localhost', port })).toBe('connected');
      expect(await tryConnect(port)).toBe('connected');
      expect(takeLoopbackViolations()).toEqual([]);
    } finally {
      server.close();
    }
  });
});
