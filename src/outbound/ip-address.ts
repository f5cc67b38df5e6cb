import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/**
 * Parses a literal IPv4 (dotted quad) or IPv6 address (with an embedded dotted quad or a zone
 * such as `%eth0`, which is dropped; brackets allowed). Anything else, hostnames and the odd IPv4
 * spellings (`0x7f.1`, `2130706433`) included, is `undefined`: the WHATWG URL parser has already
 * turned those into dotted quads by the time a URL's host gets here.
 */
export function parseIp(text: string): IpAddress | undefined {
  let literal = text.trim();
  if (literal.startsWith('[') && literal.endsWith(']')) literal = literal.slice(1, -1);
  const zone = literal.indexOf('%');
  if (zone >= 0) literal = literal.slice(0, zone);
  if (isIPv4(literal)) {
    const value = parseIPv4(literal);
    return value === undefined ? undefined : { family: 4, value };
  }
  if (isIPv6(literal)) {
    const value = parseIPv6(literal);
    return value === undefined ? undefined : { family: 6, value };
  }
  return undefined;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  let literal = text.toLowerCase();
  const lastColon = literal.lastIndexOf(':');
  const tail = literal.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === undefined) return undefined;
    literal = `${literal.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = literal.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined) => (half ? half.split(':') : []);
  const left = groupsOf(halves[0]);
  const right = groupsOf(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = halves.length === 1 ? left : [...left, ...Array<string>(missing).fill('0'), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, index) => Number((ip.value >> BigInt(112 - index * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Whether `ip` lies in `network/bits` (same family only). */
export function inPrefix(ip: IpAddress, network: IpAddress, bits: number): boolean {
  if (ip.family !== network.family) return false;
  const width = ip.family === 4 ? 32 : 128;
  const shift = BigInt(width - bits);
  return ip.value >> shift === network.value >> shift;
}
