import { localhostAllowedHostnames } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { checkMcpHost } from './host-check.ts';
import { LOOPBACK_HOSTNAMES, mcpHostnames } from './mcp-hosts.ts';

const refused = (headers: { host?: string; origin?: string }, hostnames: string[] | null) => {
  try {
    checkMcpHost(headers, hostnames);
    return null;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('mcpHostnames', () => {
  it("names the loopback hosts as the SDK's allowlist does", () => {
    expect([...LOOPBACK_HOSTNAMES]).toEqual(localhostAllowedHostnames());
  });

  it("is the operator's list, else the loopback names on a loopback bind, else none", () => {
    expect(mcpHostnames({ host: '0.0.0.0', mcpAllowedHosts: ['enclave.example.com'] })).toEqual([
      'enclave.example.com',
    ]);
    expect(mcpHostnames({ host: '127.0.0.1', mcpAllowedHosts: [] })).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(mcpHostnames({ host: '::1' })).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(mcpHostnames({ host: '0.0.0.0', mcpAllowedHosts: [] })).toBeNull();
  });
});

describe('checkMcpHost', () => {
  const loopback = ['localhost', '127.0.0.1', '[::1]'];

  it('accepts the listed hosts with any port, and no Origin or a listed one', () => {
    expect(refused({ host: '127.0.0.1:8000' }, loopback)).toBeNull();
    expect(refused({ host: '[::1]:8000', origin: 'http://localhost:5173' }, loopback)).toBeNull();
    expect(
      refused({ host: 'enclave.example.com', origin: 'https://enclave.example.com' }, ['enclave.example.com']),
    ).toBeNull();
  });

  it('refuses a rebound Host, a foreign Origin, a null Origin and a missing Host', () => {
    expect(refused({ host: 'evil.example.com:8000', origin: 'http://evil.example.com:8000' }, loopback)).toBe(
      'HOST_NOT_ALLOWED',
    );
    expect(refused({ host: 'localhost:8000', origin: 'http://evil.example.com' }, loopback)).toBe('HOST_NOT_ALLOWED');
    expect(refused({ host: 'localhost:8000', origin: 'null' }, loopback)).toBe('HOST_NOT_ALLOWED');
    expect(refused({}, loopback)).toBe('HOST_NOT_ALLOWED');
  });

  it('without a list, refuses only an Origin of another host than Host', () => {
    expect(refused({ host: 'anything.example:443' }, null)).toBeNull();
    expect(refused({ host: 'api.example.com', origin: 'https://api.example.com' }, null)).toBeNull();
    expect(refused({ host: 'api.example.com', origin: 'https://evil.example.com' }, null)).toBe('HOST_NOT_ALLOWED');
    expect(refused({ host: '[2001:db8::1]:8000', origin: 'http://[2001:db8::1]:8000' }, null)).toBeNull();
  });
});
