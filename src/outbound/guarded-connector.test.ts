import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundDial, OutboundResolver, ResolvedAddress } from './guarded-connector.ts';
import { createOutboundFetch } from './outbound-fetch.ts';
import { PUBLIC_ONLY_POLICY, parseOutboundAllow } from './outbound-policy.ts';

/**
 * The guard's decision on host names, through a stubbed resolver, with a dial hook in place of the
 * real dial: nothing here is ever dialled beyond loopback, even with the guard broken. A hook that
 * must never run fails the test; the one that must run records the approved address and connects
 * to a loopback server instead.
 */

const answer = (...addresses: string[]): ResolvedAddress[] =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

/** A resolver that answers each lookup with the next list, and counts the lookups. */
function stubResolver(...answers: ResolvedAddress[][]): OutboundResolver & { lookups: string[] } {
  const lookups: string[] = [];
  const resolver = async (hostname: string) => {
    lookups.push(hostname);
    return answers[Math.min(lookups.length - 1, answers.length - 1)] ?? [];
  };
  return Object.assign(resolver, { lookups });
}

/** Dials that happened through `neverDial`: the tests that use it expect none. */
const unexpectedDials: string[] = [];

/** A dial hook that must never be reached: the guard refused before dialling. */
const neverDial: OutboundDial = (options, callback) => {
  unexpectedDials.push(options.hostname);
  callback(new Error(`dialled ${options.hostname} although the guard should have refused`), null);
};

afterEach(() => {
  expect(unexpectedDials.splice(0)).toEqual([]);
});

let server: Server;
let port: number;
let requests = 0;

beforeAll(async () => {
  server = createServer((_request, response) => {
    requests++;
    // A new connection for every request, so that each request resolves the name again.
    response.setHeader('connection', 'close');
    response.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Records the approved target and connects to the loopback server instead of it. */
function loopbackDial(targets: { hostname: string; servername?: string; port: string }[]): OutboundDial {
  return (options, callback) => {
    targets.push({
      hostname: options.hostname,
      port: options.port,
      ...(options.servername ? { servername: options.servername } : {}),
    });
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => callback(null, socket));
    socket.once('error', (error) => callback(error, null));
  };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('the request was not refused');
    },
    (error: unknown) => error,
  );
}

describe('the guard on host names (stubbed resolver, no real dial)', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['169.254.169.254', 'metadata'],
    ['127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00::1', 'private'],
    ['fe80::1', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
  ])('refuses a name that resolves to %s (%s), without dialling', async (address, reason) => {
    const resolver = stubResolver(answer(address));
    const fetch = createOutboundFetch({ policy: PUBLIC_ONLY_POLICY, resolver, dial: neverDial });
    const error = await refusal(fetch('http://tools.example.com/mcp'));
    expect(error).toMatchObject({ code: 'OUTBOUND_BLOCKED', reason, details: { host: 'tools.example.com', address } });
    // The message (what the tenant sees) says what kind of address, never which: no internal DNS read-out.
    expect((error as Error).message).toBe(
      `Outbound request to tools.example.com:80 refused: the name resolves to a ${reason} address. The operator can allow it with ENCLAVE_OUTBOUND_ALLOW.`,
    );
    expect(resolver.lookups).toEqual(['tools.example.com']);
  });

  it('refuses a name with one private address among public ones', async () => {
    const resolver = stubResolver(answer('93.184.216.34', '10.0.0.1'));
    const fetch = createOutboundFetch({ policy: PUBLIC_ONLY_POLICY, resolver, dial: neverDial });
    expect(await refusal(fetch('https://mixed.example.com/'))).toMatchObject({
      code: 'OUTBOUND_BLOCKED',
      reason: 'private',
      details: { address: '10.0.0.1', port: 443 },
    });
  });

  it.each([
    ['http://10.0.0.1/', 'private'],
    ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', 'metadata'],
    ['http://[fd00:ec2::254]/', 'metadata'],
    ['http://0x7f.1/', 'loopback'], // the URL parser makes it 127.0.0.1
    ['http://2130706433/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://0/', 'unspecified'],
  ])('refuses the literal URL %s (%s) without a lookup or a dial', async (url, reason) => {
    const resolver = stubResolver();
    const fetch = createOutboundFetch({ policy: PUBLIC_ONLY_POLICY, resolver, dial: neverDial });
    expect(await refusal(fetch(url))).toMatchObject({ code: 'OUTBOUND_BLOCKED', reason });
    expect(resolver.lookups).toEqual([]);
  });

  it.each(['ftp://files.example.com/x', 'file:///etc/passwd', 'data:,hello', 'ws://tools.example.com/'])(
    'refuses the scheme of %s',
    async (url) => {
      const fetch = createOutboundFetch({ policy: PUBLIC_ONLY_POLICY, resolver: stubResolver(), dial: neverDial });
      expect(await refusal(fetch(url))).toMatchObject({ code: 'OUTBOUND_BLOCKED', reason: 'scheme' });
    },
  );

  it('DNS rebinding: public on the first lookup, private on the second; the private answer is never dialled', async () => {
    const resolver = stubResolver(answer('93.184.216.34'), answer('10.0.0.1'));
    const targets: { hostname: string; port: string }[] = [];
    const fetch = createOutboundFetch({ policy: PUBLIC_ONLY_POLICY, resolver, dial: loopbackDial(targets) });
    const before = requests;
    const first = await fetch('http://rebind.example.com/a');
    expect(await first.text()).toBe('hello');
    const error = await refusal(fetch('http://rebind.example.com/b'));
    expect(error).toMatchObject({ code: 'OUTBOUND_BLOCKED', reason: 'private', details: { address: '10.0.0.1' } });
    expect(resolver.lookups).toEqual(['rebind.example.com', 'rebind.example.com']);
    expect(targets).toEqual([{ hostname: '93.184.216.34', port: '' }]);
    expect(requests - before).toBe(1);
  });

  it('dials the approved address, never the name, and keeps the name for TLS (SNI and certificate check)', async () => {
    const resolver = stubResolver(answer('2606:4700::6810:1'));
    const targets: { hostname: string; servername?: string; port: string }[] = [];
    const recordOnly: OutboundDial = (options, callback) => {
      targets.push({
        hostname: options.hostname,
        port: options.port,
        ...(options.servername ? { servername: options.servername } : {}),
      });
      callback(Object.assign(new Error('not dialled in this test'), { code: 'ECONNREFUSED' }), null);
    };
    const fetch = createOutboundFetch({ policy: PUBLIC_ONLY_POLICY, resolver, dial: recordOnly });
    await expect(fetch('https://tools.example.com:8443/mcp')).rejects.toThrow('fetch failed');
    expect(targets).toEqual([{ hostname: '2606:4700::6810:1', servername: 'tools.example.com', port: '8443' }]);
  });

  it('tries the next approved address when one does not connect', async () => {
    const resolver = stubResolver(answer('93.184.216.34', '93.184.216.35'));
    const attempts: string[] = [];
    const loopback = loopbackDial([]);
    const dial: OutboundDial = (options, callback) => {
      attempts.push(options.hostname);
      if (options.hostname === '93.184.216.34')
        callback(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), null);
      else loopback(options, callback);
    };
    const fetch = createOutboundFetch({ policy: PUBLIC_ONLY_POLICY, resolver, dial });
    expect(await (await fetch('http://two.example.com/')).text()).toBe('hello');
    expect(attempts).toEqual(['93.184.216.34', '93.184.216.35']);
  });

  it('lets an allowlisted name reach the private address it resolves to', async () => {
    const resolver = stubResolver(answer('10.0.0.7'));
    const targets: { hostname: string; port: string }[] = [];
    const fetch = createOutboundFetch({
      policy: parseOutboundAllow('mcp.internal'),
      resolver,
      dial: loopbackDial(targets),
    });
    expect((await fetch('http://mcp.internal/')).status).toBe(200);
    expect(targets).toEqual([{ hostname: '10.0.0.7', port: '' }]);
    const other = createOutboundFetch({ policy: parseOutboundAllow('mcp.internal'), resolver, dial: neverDial });
    expect(await refusal(other('http://not-allowed.internal/'))).toMatchObject({ code: 'OUTBOUND_BLOCKED' });
  });
});
