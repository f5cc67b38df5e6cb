import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { outboundFetchOptions } from './outbound-config.ts';
import { OUTBOUND_DEFAULTS } from './outbound-fetch.ts';

describe('ENCLAVE_OUTBOUND_* settings', () => {
  it('default to public addresses only, direct, with the documented caps', () => {
    const options = outboundFetchOptions(loadConfig({}));
    expect(options).toEqual({ policy: { allow: [] }, ...OUTBOUND_DEFAULTS });
    expect(OUTBOUND_DEFAULTS).toEqual({ maxRedirects: 5, timeoutMs: 30_000, maxResponseBytes: 10_485_760 });
  });

  it('read the allowlist, the proxy and the caps', () => {
    const options = outboundFetchOptions(
      loadConfig({
        ENCLAVE_OUTBOUND_ALLOW: 'mcp.internal:8443, 10.0.0.0/8',
        ENCLAVE_OUTBOUND_PROXY: 'http://proxy.internal:3128',
        ENCLAVE_OUTBOUND_TIMEOUT_MS: '5000',
        ENCLAVE_OUTBOUND_MAX_RESPONSE_BYTES: '1024',
        ENCLAVE_OUTBOUND_MAX_REDIRECTS: '0',
      }),
    );
    expect(options.policy.allow.map((entry) => entry.text)).toEqual(['mcp.internal:8443', '10.0.0.0/8']);
    expect(options).toMatchObject({
      proxy: 'http://proxy.internal:3128',
      timeoutMs: 5000,
      maxResponseBytes: 1024,
      maxRedirects: 0,
    });
  });

  it('refuse a malformed allowlist or proxy at boot, naming the variable and the entry', () => {
    expect(() => loadConfig({ ENCLAVE_OUTBOUND_ALLOW: 'ok.example, 10.0.0.1/8' })).toThrow(ConfigError);
    expect(() => loadConfig({ ENCLAVE_OUTBOUND_ALLOW: 'ok.example, 10.0.0.1/8' })).toThrow(
      /ENCLAVE_OUTBOUND_ALLOW \(--enclave-outbound-allow\): "10\.0\.0\.1\/8": host bits are set/,
    );
    expect(() => loadConfig({ ENCLAVE_OUTBOUND_PROXY: 'socks5://proxy:1080' })).toThrow(/ENCLAVE_OUTBOUND_PROXY/);
  });
});
