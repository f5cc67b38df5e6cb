import dgram from 'node:dgram';
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { afterAll, afterEach } from 'vitest';

/**
 * Test-only dial hook, loaded before every test file (vitest `setupFiles`): the suite may talk to
 * loopback only. Any TCP or TLS connect (net.Socket#connect, under net.connect, tls.connect, http,
 * undici, pg, ioredis), UDP send, or DNS lookup aimed anywhere else is stopped before a packet
 * leaves: the socket fails as a refused connection would, and the test fails in `afterEach` even
 * when the code under test swallowed the error. It guards the test workers, not child processes.
 *
 * Allowed: 127.0.0.0/8, ::1, their IPv4-mapped forms, `localhost` (and `*.localhost`), unix sockets.
 */

const violations: string[] = [];

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

function isLoopbackLiteral(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = net.isIP(bare);
  if (family === 0) return false;
  return loopback.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

function isLocalName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function refuse(what: string): Error {
  const message = `loopback-only test guard: refused ${what}`;
  violations.push(message);
  return Object.assign(new Error(message), { code: 'ECONNREFUSED' });
}

type ConnectArgs = unknown[];

/** The host (or unix path) a `Socket#connect(...)` call aims at, in each of its call shapes. */
function targetOf(args: ConnectArgs): { host?: string; path?: string } {
  let first = args[0];
  if (Array.isArray(first)) first = first[0]; // net.connect hands over its normalized arguments
  if (first !== null && typeof first === 'object') {
    const options = first as { host?: string | null; path?: string | null };
    // As net does: a truthy `path` is a unix socket (http passes `path: null` for TCP).
    if (options.path) return { path: options.path };
    return { host: options.host || 'localhost' };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { path: first };
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost' };
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs) {
  const target = targetOf(args);
  if (target.host !== undefined && !isLoopbackLiteral(target.host) && !isLocalName(target.host)) {
    const error = refuse(`a connection to ${target.host}`);
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return (originalConnect as (...a: ConnectArgs) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

function guardLookup(host: string): Error | undefined {
  // Looking up an IP literal (as listen('::') does) sends nothing: only names are looked up for real.
  if (net.isIP(host) !== 0 || isLocalName(host)) return undefined;
  return refuse(`a DNS lookup of ${host}`);
}

const originalLookup = dns.lookup;
dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  const error = guardLookup(hostname);
  const callback = rest.at(-1);
  if (error && typeof callback === 'function') {
    process.nextTick(() => (callback as (e: Error) => void)(error));
    return;
  }
  return (originalLookup as (...a: unknown[]) => void)(hostname, ...rest);
} as typeof dns.lookup;

const originalPromiseLookup = dns.promises.lookup;
dns.promises.lookup = async function guardedPromiseLookup(hostname: string, options?: unknown) {
  const error = guardLookup(hostname);
  if (error) throw error;
  return (originalPromiseLookup as (h: string, o?: unknown) => Promise<unknown>)(hostname, options);
} as typeof dns.promises.lookup;

const originalSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(this: dgram.Socket, ...args: unknown[]) {
  const address = args.find((arg, index) => index > 0 && typeof arg === 'string') as string | undefined;
  if (address !== undefined && !isLoopbackLiteral(address) && !isLocalName(address)) {
    const error = refuse(`a UDP datagram to ${address}`);
    const callback = args.at(-1);
    if (typeof callback === 'function') process.nextTick(() => (callback as (e: Error) => void)(error));
    return;
  }
  return (originalSend as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;

syncBuiltinESMExports();

function failOnViolations(): void {
  if (violations.length === 0) return;
  const found = violations.splice(0);
  throw new Error(`Tests must talk to loopback only:\n  ${found.join('\n  ')}`);
}

afterEach(failOnViolations);
afterAll(failOnViolations);

/** For the guard's own test: the refusals recorded since the last check, cleared. */
export function takeLoopbackViolations(): string[] {
  return violations.splice(0);
}
