import { formatIp, type IpAddress, inPrefix, parseIp } from './ip-address.ts';
import { embeddedIPv4, type OutboundBlockReason, specialRangeOf } from './special-ranges.ts';

export type { OutboundBlockReason } from './special-ranges.ts';

/** One entry of `ENCLAVE_OUTBOUND_ALLOW`. */
export type OutboundAllowEntry =
  | {
      readonly kind: 'host';
      readonly text: string;
      /** Lower case, no trailing dot. With `wildcard`, the entry matches subdomains of it, not itself. */
      readonly host: string;
      readonly wildcard: boolean;
      readonly port?: number;
    }
  | {
      readonly kind: 'network';
      readonly text: string;
      readonly network: IpAddress;
      readonly bits: number;
      readonly port?: number;
    };

/**
 * What the operator lets outbound calls made for a tenant reach beyond the public internet.
 * Empty (the default): public unicast addresses only.
 */
export interface OutboundPolicy {
  readonly allow: readonly OutboundAllowEntry[];
}

export const PUBLIC_ONLY_POLICY: OutboundPolicy = Object.freeze({ allow: Object.freeze([]) });

/** The allowlist text is malformed; the message names the entry. */
export class OutboundAllowSyntaxError extends Error {
  override name = 'OutboundAllowSyntaxError';
}

export type AddressDecision =
  | { readonly allowed: true; readonly rule: 'public' | 'allowlist'; readonly entry?: string }
  | { readonly allowed: false; readonly reason: OutboundBlockReason; readonly range: string };

const HOST_PATTERN = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function parsePort(text: string, entry: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) throw new OutboundAllowSyntaxError(`"${entry}": port must be 1-65535`);
  return port;
}

function parseEntry(entry: string): OutboundAllowEntry {
  if (entry.includes('://')) throw new OutboundAllowSyntaxError(`"${entry}": write a host, not a URL`);
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const network = parseIp(entry.slice(0, slash));
    const bitsText = entry.slice(slash + 1);
    if (!network || entry.startsWith('[')) throw new OutboundAllowSyntaxError(`"${entry}": not an IP network`);
    const width = network.family === 4 ? 32 : 128;
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
    if (!(bits >= 0 && bits <= width))
      throw new OutboundAllowSyntaxError(`"${entry}": prefix length must be 0-${width}`);
    if (network.value & ((1n << BigInt(width - bits)) - 1n))
      throw new OutboundAllowSyntaxError(`"${entry}": host bits are set (did you mean ${formatIp(network)}/${width}?)`);
    return { kind: 'network', text: entry, network, bits };
  }
  if (entry.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
    const ip = match && parseIp(match[1] ?? '');
    if (!match || !ip || ip.family !== 6) throw new OutboundAllowSyntaxError(`"${entry}": not an [IPv6]:port entry`);
    const port = match[2] === undefined ? undefined : parsePort(match[2], entry);
    return { kind: 'network', text: entry, network: ip, bits: 128, ...(port === undefined ? {} : { port }) };
  }
  const whole = parseIp(entry);
  if (whole) return { kind: 'network', text: entry, network: whole, bits: whole.family === 4 ? 32 : 128 };
  const colon = entry.lastIndexOf(':');
  const hostText = colon >= 0 ? entry.slice(0, colon) : entry;
  const port = colon >= 0 ? parsePort(entry.slice(colon + 1), entry) : undefined;
  const withPort = port === undefined ? {} : { port };
  const ip = parseIp(hostText);
  if (ip) {
    if (ip.family === 6)
      throw new OutboundAllowSyntaxError(`"${entry}": write an IPv6 address with a port as [address]:port`);
    return { kind: 'network', text: entry, network: ip, bits: 32, ...withPort };
  }
  const host = hostText.toLowerCase().replace(/\.$/, '');
  if (!HOST_PATTERN.test(host) || /^[\d.]+$/.test(host))
    throw new OutboundAllowSyntaxError(`"${entry}": not a host name, host:port, IP address or CIDR`);
  const wildcard = host.startsWith('*.');
  return { kind: 'host', text: entry, host: wildcard ? host.slice(2) : host, wildcard, ...withPort };
}

/**
 * Parses `ENCLAVE_OUTBOUND_ALLOW`: a comma-separated list of host names (`mcp.internal`), subdomain
 * wildcards (`*.corp.example`), `host:port`, IP addresses (`10.1.2.3`, `fd00::5`, `[fd00::5]:8443`,
 * `127.0.0.1:4000`) and CIDR networks (`10.20.0.0/16`, `fd00:1234::/32`). Blank text is the
 * public-only policy. Throws `OutboundAllowSyntaxError` naming the first bad entry.
 */
export function parseOutboundAllow(text: string | undefined): OutboundPolicy {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return Object.freeze({ allow: Object.freeze(entries.map(parseEntry)) });
}

/** Lower case, no brackets, no trailing dot: a URL's `hostname` as allowlist entries are written. */
export function normalizeHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.toLowerCase().replace(/\.$/, '');
}

function portMatches(entry: OutboundAllowEntry, port: number): boolean {
  return entry.port === undefined || entry.port === port;
}

function hostMatches(entry: OutboundAllowEntry & { kind: 'host' }, host: string): boolean {
  return entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host;
}

/**
 * The guard's one decision: may a connection for a tenant go to `address` (an IP literal, the one
 * about to be dialled) on `port`? `hostname` is the URL's host name when the address came from
 * resolving it (host entries of the allowlist then apply).
 *
 * - An address in no special range is allowed.
 * - An address in a special range (loopback, private, link-local, CGNAT, multicast, broadcast,
 *   documentation, reserved, unspecified, cloud metadata, or any IPv6 form carrying such an IPv4
 *   address) is refused unless an allowlist entry covers it: an IP or CIDR entry containing the
 *   address (or the IPv4 address it carries), or a host entry naming `hostname`, with the entry's
 *   port if it has one.
 * - Cloud metadata addresses are refused even then, unless an entry names that exact address: a
 *   host entry or a wide CIDR never opens them. Unspecified addresses (`0.0.0.0`, `::`) are likewise
 *   never opened by a host entry.
 */
export function checkAddress(
  address: string,
  port: number,
  policy: OutboundPolicy,
  hostname?: string,
): AddressDecision {
  const ip = parseIp(address);
  if (!ip) return { allowed: false, reason: 'invalid', range: 'not an IP address' };
  const special = specialRangeOf(ip);
  if (!special) return { allowed: true, rule: 'public' };
  const inner = embeddedIPv4(ip);
  const host = hostname === undefined ? undefined : normalizeHost(hostname);
  const fullWidth = (entry: OutboundAllowEntry & { kind: 'network' }) =>
    entry.bits === (entry.network.family === 4 ? 32 : 128);
  for (const entry of policy.allow) {
    if (!portMatches(entry, port)) continue;
    if (entry.kind === 'network') {
      const contains =
        inPrefix(ip, entry.network, entry.bits) || (inner !== undefined && inPrefix(inner, entry.network, entry.bits));
      if (!contains) continue;
      if (special.reason === 'metadata' && !fullWidth(entry)) continue;
      return { allowed: true, rule: 'allowlist', entry: entry.text };
    }
    if (host === undefined || !hostMatches(entry, host)) continue;
    if (special.reason === 'metadata' || special.reason === 'unspecified') continue;
    return { allowed: true, rule: 'allowlist', entry: entry.text };
  }
  return { allowed: false, reason: special.reason, range: special.range };
}
