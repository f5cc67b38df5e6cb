import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from './ip-address.ts';
import { checkAddress, OutboundAllowSyntaxError, PUBLIC_ONLY_POLICY, parseOutboundAllow } from './outbound-policy.ts';

/** Literal addresses in every range the guard refuses by default, each with the reason it gives. */
const BLOCKED: [address: string, reason: string][] = [
  // IPv4
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.254', 'cgnat'],
  ['127.0.0.1', 'loopback'],
  ['127.1.2.3', 'loopback'],
  ['169.254.1.1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['192.0.0.192', 'metadata'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['198.18.0.1', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // IPv6
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['[::1]', 'loopback'],
  ['fd00::1', 'private'],
  ['fc00::1', 'private'],
  ['fec0::1', 'private'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['fd00:ec2::254', 'metadata'],
  ['fd00:ec2::23', 'metadata'],
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001::1', 'reserved'], // Teredo
  ['100::1', 'reserved'],
  ['64:ff9b:1::1', 'reserved'],
  ['5f00::1', 'reserved'],
  ['::2', 'unspecified'], // IPv4-compatible 0.0.0.2
  ['4000::1', 'reserved'], // outside global unicast 2000::/3
  // IPv4 inside IPv6: mapped, translated, NAT64, 6to4, compatible
  ['::ffff:10.0.0.1', 'private'],
  ['[::ffff:10.0.0.1]', 'private'],
  ['::ffff:a00:1', 'private'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:100.64.0.1', 'cgnat'],
  ['::ffff:0:a00:1', 'private'], // IPv4-translated
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::c0a8:101', 'private'],
  ['2002:a9fe:a9fe::', 'metadata'],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:a00:1:1::1', 'private'],
  ['::127.0.0.1', 'loopback'],
  ['::10.0.0.1', 'private'],
  ['::8.8.8.8', 'reserved'], // deprecated IPv4-compatible form, even of a public address
];

const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '100.63.255.255', // just below CGNAT
  '100.128.0.0', // just above
  '172.32.0.1', // just above 172.16/12
  '169.253.255.255',
  '2606:4700:4700::1111',
  '2a00:1450:4001::1',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808', // NAT64 of 8.8.8.8
  '2002:808:808::1', // 6to4 of 8.8.8.8
];

describe('checkAddress: the default policy (public addresses only)', () => {
  it.each(BLOCKED)('refuses %s as %s', (address, reason) => {
    const decision = checkAddress(address, 443, PUBLIC_ONLY_POLICY);
    expect(decision).toMatchObject({ allowed: false, reason });
  });

  it.each(PUBLIC)('allows the public address %s', (address) => {
    expect(checkAddress(address, 443, PUBLIC_ONLY_POLICY)).toEqual({ allowed: true, rule: 'public' });
  });

  it('refuses what is not an IP literal (a name must be resolved first)', () => {
    for (const text of ['', 'localhost', 'example.com', '010.0.0.1', '0x7f.0.0.1', '2130706433', '1.2.3', '::g']) {
      expect(checkAddress(text, 80, PUBLIC_ONLY_POLICY)).toMatchObject({ allowed: false, reason: 'invalid' });
    }
  });

  it('names the range, and the IPv6 form that carried an IPv4 address', () => {
    expect(checkAddress('10.1.2.3', 80, PUBLIC_ONLY_POLICY)).toMatchObject({ range: '10.0.0.0/8' });
    expect(checkAddress('::ffff:169.254.169.254', 80, PUBLIC_ONLY_POLICY)).toMatchObject({
      range: '169.254.169.254/32 in ::ffff:0:0/96',
    });
  });
});

describe('checkAddress: the operator allowlist', () => {
  it('opens a CIDR for every address in it, on any port, in IPv4-mapped form too', () => {
    const policy = parseOutboundAllow('10.20.0.0/16');
    expect(checkAddress('10.20.3.4', 8080, policy)).toEqual({
      allowed: true,
      rule: 'allowlist',
      entry: '10.20.0.0/16',
    });
    expect(checkAddress('::ffff:10.20.3.4', 1, policy)).toMatchObject({ allowed: true });
    expect(checkAddress('10.21.0.1', 8080, policy)).toMatchObject({ allowed: false, reason: 'private' });
  });

  it('opens an IPv6 network', () => {
    const policy = parseOutboundAllow('fd00:1234::/32');
    expect(checkAddress('fd00:1234:5::9', 443, policy)).toMatchObject({ allowed: true, rule: 'allowlist' });
    expect(checkAddress('fd00:1235::9', 443, policy)).toMatchObject({ allowed: false, reason: 'private' });
  });

  it('opens an address only on the port an entry names', () => {
    const policy = parseOutboundAllow('127.0.0.1:4000, [::1]:4001');
    expect(checkAddress('127.0.0.1', 4000, policy)).toMatchObject({ allowed: true });
    expect(checkAddress('127.0.0.1', 4001, policy)).toMatchObject({ allowed: false, reason: 'loopback' });
    expect(checkAddress('::1', 4001, policy)).toMatchObject({ allowed: true });
    expect(checkAddress('::1', 4000, policy)).toMatchObject({ allowed: false, reason: 'loopback' });
  });

  it('opens a host name (and its port) for whatever it resolves to, and only for that name', () => {
    const policy = parseOutboundAllow('mcp.internal, *.corp.example:8443');
    expect(checkAddress('10.0.0.5', 80, policy, 'mcp.internal')).toMatchObject({
      allowed: true,
      entry: 'mcp.internal',
    });
    expect(checkAddress('10.0.0.5', 80, policy, 'MCP.Internal.')).toMatchObject({ allowed: true });
    expect(checkAddress('10.0.0.5', 80, policy, 'other.internal')).toMatchObject({ allowed: false });
    expect(checkAddress('10.0.0.5', 80, policy)).toMatchObject({ allowed: false });
    expect(checkAddress('10.0.0.6', 8443, policy, 'tools.corp.example')).toMatchObject({ allowed: true });
    expect(checkAddress('10.0.0.6', 443, policy, 'tools.corp.example')).toMatchObject({ allowed: false });
    expect(checkAddress('10.0.0.6', 8443, policy, 'corp.example')).toMatchObject({ allowed: false });
    expect(checkAddress('10.0.0.6', 8443, policy, 'evilcorp.example')).toMatchObject({ allowed: false });
  });

  it('never opens a metadata address through a host entry or a wider network, only when named exactly', () => {
    const wide = parseOutboundAllow('169.254.0.0/16, metadata.google.internal, 0.0.0.0/0, ::/0');
    expect(checkAddress('169.254.1.1', 80, wide)).toMatchObject({ allowed: true });
    expect(checkAddress('169.254.169.254', 80, wide, 'metadata.google.internal')).toMatchObject({
      allowed: false,
      reason: 'metadata',
    });
    expect(checkAddress('fd00:ec2::254', 80, wide)).toMatchObject({ allowed: false, reason: 'metadata' });
    expect(checkAddress('::ffff:169.254.169.254', 80, wide)).toMatchObject({ allowed: false, reason: 'metadata' });
    const exact = parseOutboundAllow('169.254.169.254:80');
    expect(checkAddress('169.254.169.254', 80, exact)).toMatchObject({ allowed: true });
  });

  it('never opens an unspecified address through a host entry', () => {
    const policy = parseOutboundAllow('zero.example');
    expect(checkAddress('0.0.0.0', 80, policy, 'zero.example')).toMatchObject({
      allowed: false,
      reason: 'unspecified',
    });
  });
});

describe('parseOutboundAllow', () => {
  it('reads hosts, host:port, wildcards, IPs, [IPv6]:port and CIDRs, ignoring blanks and spaces', () => {
    const policy = parseOutboundAllow(
      ' mcp.internal , mcp.internal:8443,*.corp.example, 10.1.2.3, 127.0.0.1:4000, fd00::5, [fd00::5]:8443, 10.20.0.0/16, fd00:1234::/32,, ',
    );
    expect(policy.allow.map((entry) => entry.text)).toEqual([
      'mcp.internal',
      'mcp.internal:8443',
      '*.corp.example',
      '10.1.2.3',
      '127.0.0.1:4000',
      'fd00::5',
      '[fd00::5]:8443',
      '10.20.0.0/16',
      'fd00:1234::/32',
    ]);
    expect(policy.allow[1]).toMatchObject({ kind: 'host', host: 'mcp.internal', port: 8443 });
    expect(policy.allow[2]).toMatchObject({ kind: 'host', host: 'corp.example', wildcard: true });
    expect(policy.allow[6]).toMatchObject({ kind: 'network', bits: 128, port: 8443 });
  });

  it('is the public-only policy when blank or unset', () => {
    expect(parseOutboundAllow(undefined).allow).toEqual([]);
    expect(parseOutboundAllow(' , ').allow).toEqual([]);
  });

  it.each([
    ['10.0.0.1/8', /host bits are set/],
    ['10.0.0.0/33', /prefix length must be 0-32/],
    ['fd00::/129', /prefix length must be 0-128/],
    ['10.0.0.0/x', /prefix length/],
    ['example.com/8', /not an IP network/],
    ['mcp.internal:0', /port must be 1-65535/],
    ['mcp.internal:65536', /port must be 1-65535/],
    ['mcp.internal:', /port must be 1-65535/],
    ['[fd00::1', /\[IPv6\]:port/],
    ['[10.0.0.1]:80', /\[IPv6\]:port/],
    ['exa mple.com', /not a host name/],
    ['http://mcp.internal', /a host, not a URL/],
    ['1.2.3', /not a host name/],
    ['*', /not a host name/],
    ['*.', /not a host name/],
  ])('refuses %s, naming the entry', (text, message) => {
    expect(() => parseOutboundAllow(`ok.example, ${text}`)).toThrow(OutboundAllowSyntaxError);
    expect(() => parseOutboundAllow(text)).toThrow(message);
  });
});

describe('IP literals', () => {
  it('parse and print canonically', () => {
    const canonical = (text: string) => formatIp(parseIp(text) ?? { family: 4, value: -1n });
    expect(canonical('0:0:0:0:0:ffff:7f00:0001')).toBe('::ffff:7f00:1');
    expect(canonical('::ffff:127.0.0.1')).toBe('::ffff:7f00:1');
    expect(canonical('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonical('fe80::1%eth0')).toBe('fe80::1');
    expect(canonical('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(canonical('::')).toBe('::');
    expect(parseIp('192.168.001.1')).toBeUndefined(); // leading zeros read as octal by some parsers: refused
    expect(parseIp('1::2::3')).toBeUndefined();
    expect(parseIp('256.0.0.1')).toBeUndefined();
  });
});
