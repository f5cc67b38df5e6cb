import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';
import { mcpOAuthRedirectUrl } from './public-url.ts';

describe('mcpOAuthRedirectUrl', () => {
  it('is under ENCLAVE_PUBLIC_URL, a trailing slash or not', () => {
    for (const url of ['https://enclave.example.com', 'https://enclave.example.com/']) {
      expect(mcpOAuthRedirectUrl(loadConfig({ ENCLAVE_PUBLIC_URL: url }))).toBe(
        'https://enclave.example.com/v1/mcp-servers/oauth/callback',
      );
    }
  });

  it('falls back to http://HOST:PORT, an IPv6 host in brackets', () => {
    expect(mcpOAuthRedirectUrl(loadConfig({}))).toBe('http://127.0.0.1:8000/v1/mcp-servers/oauth/callback');
    expect(mcpOAuthRedirectUrl(loadConfig({ HOST: '::1', PORT: '9100' }))).toBe(
      'http://[::1]:9100/v1/mcp-servers/oauth/callback',
    );
  });
});
