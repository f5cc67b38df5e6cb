import { lookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { buildConnector } from 'undici';
import { formatIp, parseIp } from './ip-address.ts';
import { OutboundBlockedError } from './outbound-errors.ts';
import { checkAddress, type OutboundPolicy } from './outbound-policy.ts';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has (the DNS seam: tests pass a stub). */
export type OutboundResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address in the order given. */
export const systemResolver: OutboundResolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: 'verbatim' })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/**
 * Opens the connection once the guard has approved an address: undici's connector shape, called
 * with `hostname` set to that IP literal (and `servername` to the URL's host name for TLS). The
 * default dials exactly that address; tests pass a hook that records the target instead.
 */
export type OutboundDial = buildConnector.connector;

export interface GuardedConnectorOptions {
  readonly policy: OutboundPolicy;
  readonly resolver: OutboundResolver;
  readonly connectTimeoutMs: number;
  readonly dial?: OutboundDial;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/**
 * The addresses a connection to `host:port` may be dialled on: the literal itself, or every
 * address the name resolves to. One refused address refuses the whole name, so a name that mixes
 * public and private answers cannot be used to reach the private one on a retry.
 */
export async function approvedAddresses(
  host: string,
  port: number,
  policy: OutboundPolicy,
  resolver: OutboundResolver,
): Promise<ResolvedAddress[]> {
  const literal = parseIp(host);
  const answers: readonly ResolvedAddress[] = literal
    ? [{ address: formatIp(literal), family: literal.family }]
    : await resolver(host);
  if (answers.length === 0) throw Object.assign(new Error(`${host} has no addresses`), { code: 'ENOTFOUND' });
  for (const answer of answers) {
    const decision = checkAddress(answer.address, port, policy, literal ? undefined : host);
    if (!decision.allowed) {
      throw new OutboundBlockedError({
        reason: decision.reason,
        host,
        port,
        address: answer.address,
        range: decision.range,
        redirect: false,
      });
    }
  }
  return [...answers];
}

/**
 * undici's connector with the guard in front: it resolves the host itself, checks every address
 * with `checkAddress`, and dials the approved IP literal, never the name. Node's own lookup never
 * runs, so the address checked is the address connected to (DNS rebinding between the check and
 * the dial is impossible), and every new connection (redirect hops, reconnects, keep-alive
 * replacements) goes through it again.
 */
export function guardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const dial = options.dial ?? pinnedDial(options.connectTimeoutMs);
  return (connect, callback) => {
    if (connect.socketPath || connect.httpSocket) {
      callback(new Error('outbound connections go over TCP only'), null);
      return;
    }
    const port = Number(connect.port) || defaultPort(connect.protocol);
    const host = connect.hostname;
    approvedAddresses(host, port, options.policy, options.resolver).then(
      (addresses) => dialInTurn(addresses, 0, host, connect, dial, callback),
      (error: Error) => callback(error, null),
    );
  };
}

/** Tries the approved addresses one after the other until one connects. */
function dialInTurn(
  addresses: readonly ResolvedAddress[],
  index: number,
  host: string,
  connect: buildConnector.Options,
  dial: OutboundDial,
  callback: buildConnector.Callback,
): void {
  const target = addresses[index];
  if (!target) return;
  const servername =
    connect.protocol === 'https:' ? (connect.servername ?? (isIP(host) ? undefined : host)) : connect.servername;
  dial({ ...connect, hostname: target.address, ...(servername ? { servername } : {}) }, (error, socket) => {
    if (error && index + 1 < addresses.length) return dialInTurn(addresses, index + 1, host, connect, dial, callback);
    if (error) return callback(error, null);
    return callback(null, socket as Socket);
  });
}

/** undici's own connector, plus a check that the socket really ended up at the approved address. */
function pinnedDial(connectTimeoutMs: number): OutboundDial {
  const base = buildConnector({ timeout: connectTimeoutMs, autoSelectFamily: false });
  return (connect, callback) => {
    base(connect, (error, socket) => {
      if (error) return callback(error, null);
      if (!socket || !sameAddress(socket.remoteAddress, connect.hostname)) {
        socket?.destroy();
        return callback(new Error(`connected to ${socket?.remoteAddress}, not ${connect.hostname}`), null);
      }
      return callback(null, socket);
    });
  };
}

/** Whether two IP literals are one address (an IPv4-mapped IPv6 address equals its IPv4 address). */
function sameAddress(left: string | undefined, right: string): boolean {
  const unmapped = (text: string | undefined) => {
    const ip = text === undefined ? undefined : parseIp(text);
    if (ip?.family === 6 && ip.value >> 32n === 0xffffn) return `4:${ip.value & 0xffffffffn}`;
    return ip && `${ip.family}:${ip.value}`;
  };
  const a = unmapped(left);
  return a !== undefined && a === unmapped(right);
}
