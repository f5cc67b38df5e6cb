import { formatIp, type IpAddress, inPrefix, parseIp } from './ip-address.ts';

/** Why an address is refused. `scheme` is a URL that is not http(s); `invalid` is not an IP address. */
export type OutboundBlockReason =
  | 'invalid'
  | 'scheme'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved'
  | 'metadata';

/** The special range an address falls in, if any (`range` is the CIDR, or the embedding form, for messages). */
export interface SpecialRange {
  readonly reason: OutboundBlockReason;
  readonly range: string;
}

interface RangeRule {
  readonly network: IpAddress;
  readonly bits: number;
  readonly reason: OutboundBlockReason;
  readonly range: string;
}

function rule(cidr: string, reason: OutboundBlockReason): RangeRule {
  const [address = '', bits = ''] = cidr.split('/');
  const network = parseIp(address);
  if (!network) throw new Error(`bad built-in range ${cidr}`);
  return { network, bits: Number(bits), reason, range: cidr };
}

/**
 * Cloud metadata and platform endpoints. Some sit in public space (Azure's WireServer), so they are
 * listed one by one, ahead of the ranges.
 */
const METADATA: readonly RangeRule[] = [
  rule('169.254.169.254/32', 'metadata'), // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  rule('169.254.169.253/32', 'metadata'), // AWS VPC DNS
  rule('169.254.169.123/32', 'metadata'), // AWS time sync
  rule('169.254.170.2/32', 'metadata'), // AWS ECS task credentials
  rule('169.254.170.23/32', 'metadata'), // AWS EKS pod identity
  rule('169.254.0.23/32', 'metadata'), // Tencent Cloud
  rule('100.100.100.200/32', 'metadata'), // Alibaba Cloud
  rule('192.0.0.192/32', 'metadata'), // Oracle Cloud (classic)
  rule('168.63.129.16/32', 'metadata'), // Azure WireServer (public space)
  rule('fd00:ec2::254/128', 'metadata'), // AWS IMDS over IPv6
  rule('fd00:ec2::23/128', 'metadata'), // AWS EKS pod identity over IPv6
];

/** IPv4 special-purpose ranges (IANA registry) that an outbound call for a tenant must not reach. */
const IPV4: readonly RangeRule[] = [
  rule('0.0.0.0/8', 'unspecified'),
  rule('10.0.0.0/8', 'private'),
  rule('100.64.0.0/10', 'cgnat'),
  rule('127.0.0.0/8', 'loopback'),
  rule('169.254.0.0/16', 'link-local'),
  rule('172.16.0.0/12', 'private'),
  rule('192.0.0.0/24', 'reserved'),
  rule('192.0.2.0/24', 'documentation'),
  rule('192.88.99.0/24', 'reserved'),
  rule('192.168.0.0/16', 'private'),
  rule('198.18.0.0/15', 'reserved'),
  rule('198.51.100.0/24', 'documentation'),
  rule('203.0.113.0/24', 'documentation'),
  rule('224.0.0.0/4', 'multicast'),
  rule('255.255.255.255/32', 'broadcast'),
  rule('240.0.0.0/4', 'reserved'),
];

/** IPv6 forms that carry an IPv4 address: the IPv4 address decides. `bitsOffset` is where it sits. */
const EMBEDDING: readonly { rule: RangeRule; shift: bigint; publicIsAllowed: boolean }[] = [
  { rule: rule('::ffff:0:0/96', 'reserved'), shift: 0n, publicIsAllowed: true }, // IPv4-mapped
  { rule: rule('::ffff:0:0:0/96', 'reserved'), shift: 0n, publicIsAllowed: true }, // IPv4-translated (SIIT)
  { rule: rule('64:ff9b::/96', 'reserved'), shift: 0n, publicIsAllowed: true }, // NAT64 well-known prefix
  { rule: rule('2002::/16', 'reserved'), shift: 80n, publicIsAllowed: true }, // 6to4
  { rule: rule('::/96', 'reserved'), shift: 0n, publicIsAllowed: false }, // IPv4-compatible (deprecated)
];

const IPV6: readonly RangeRule[] = [
  rule('::/128', 'unspecified'),
  rule('::1/128', 'loopback'),
  rule('64:ff9b:1::/48', 'reserved'), // NAT64 local use
  rule('100::/64', 'reserved'), // discard only
  rule('2001:db8::/32', 'documentation'),
  rule('2001::/23', 'reserved'), // IETF protocol assignments, Teredo included
  rule('3fff::/20', 'documentation'),
  rule('5f00::/16', 'reserved'), // SRv6 SIDs
  rule('fc00::/7', 'private'), // unique local
  rule('fe80::/10', 'link-local'),
  rule('fec0::/10', 'private'), // site-local (deprecated)
  rule('ff00::/8', 'multicast'),
];

/** Global unicast: every IPv6 address outside it (and not handled above) is reserved. */
const GLOBAL_UNICAST = rule('2000::/3', 'reserved');

function firstMatch(ip: IpAddress, rules: readonly RangeRule[]): SpecialRange | undefined {
  const match = rules.find((candidate) => inPrefix(ip, candidate.network, candidate.bits));
  return match && { reason: match.reason, range: match.range };
}

/** The IPv4 address an IPv6 address carries (mapped, translated, NAT64, 6to4, compatible), if any. */
export function embeddedIPv4(ip: IpAddress): IpAddress | undefined {
  if (ip.family !== 6) return undefined;
  if (ip.value <= 1n) return undefined; // :: and ::1 are themselves, not 0.0.0.0 and 0.0.0.1
  const form = EMBEDDING.find((candidate) => inPrefix(ip, candidate.rule.network, candidate.rule.bits));
  return form && { family: 4, value: (ip.value >> form.shift) & 0xffffffffn };
}

/**
 * The special range `ip` falls in, or `undefined` for a public address. An IPv6 form that carries
 * an IPv4 address is judged by that address (`::ffff:10.0.0.1` is private, `64:ff9b::a9fe:a9fe`
 * is metadata), so no spelling of a blocked IPv4 address gets through.
 */
export function specialRangeOf(ip: IpAddress): SpecialRange | undefined {
  const metadata = firstMatch(ip, METADATA);
  if (metadata) return metadata;
  if (ip.family === 4) return firstMatch(ip, IPV4);
  const direct = firstMatch(ip, IPV6);
  if (direct) return direct;
  const v4 = embeddedIPv4(ip);
  if (v4) {
    const form = EMBEDDING.find((candidate) => inPrefix(ip, candidate.rule.network, candidate.rule.bits));
    const inner = specialRangeOf(v4);
    if (inner) return { reason: inner.reason, range: `${inner.range} in ${form?.rule.range ?? 'IPv6'}` };
    if (form && !form.publicIsAllowed) return { reason: 'reserved', range: `${form.rule.range} (${formatIp(v4)})` };
    return undefined;
  }
  if (!inPrefix(ip, GLOBAL_UNICAST.network, GLOBAL_UNICAST.bits))
    return { reason: 'reserved', range: 'outside 2000::/3' };
  return undefined;
}
