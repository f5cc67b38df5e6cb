import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.ts';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/enclave.db',
      sqliteSynchronous: 'NORMAL',
      logLevel: 'info',
      logFormat: 'json',
      bodyLimitBytes: 1_048_576,
      messageMaxChars: 32_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads env, and flags win over env', () => {
    const config = loadConfig({ PORT: '9000', DATABASE_URL: 'sqlite::memory:' }, [
      '--port',
      '9001',
      '--log-format=pretty',
    ]);
    expect(config.port).toBe(9001);
    expect(config.databaseUrl).toBe('sqlite::memory:');
    expect(config.logFormat).toBe('pretty');
  });

  it('names every bad variable and its flag', () => {
    expect(() => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' });
    } catch (error) {
      expect(String(error)).toContain('PORT (--port)');
      expect(String(error)).toContain('LOG_LEVEL (--log-level)');
    }
  });

  it('rejects unknown flags and database URLs it cannot serve yet', () => {
    expect(() => loadConfig({}, ['--prot', '1'])).toThrow(/Unknown option --prot/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(8000);
  });
});

describe('auth mode', () => {
  it('defaults to disabled on loopback and required elsewhere', async () => {
    const { authModeOf } = await import('./config-schema.ts');
    expect(authModeOf(loadConfig({}))).toBe('disabled');
    expect(authModeOf(loadConfig({ HOST: '::1' }))).toBe('disabled');
    expect(authModeOf(loadConfig({ HOST: '0.0.0.0' }))).toBe('required');
    expect(authModeOf(loadConfig({ HOST: '10.0.0.5', ENCLAVE_AUTH: 'required' }))).toBe('required');
    expect(authModeOf(loadConfig({ ENCLAVE_AUTH: 'required' }))).toBe('required');
  });

  it('refuses disabled auth on a non-loopback address unless the operator says so explicitly', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0', ENCLAVE_AUTH: 'disabled' })).toThrow(/ENCLAVE_ALLOW_UNAUTHENTICATED/);
    expect(loadConfig({ HOST: '0.0.0.0', ENCLAVE_AUTH: 'disabled', ENCLAVE_ALLOW_UNAUTHENTICATED: 'true' }).auth).toBe(
      'disabled',
    );
  });

  it('validates the admin key, master key and JWT trust', () => {
    expect(() => loadConfig({ ENCLAVE_ADMIN_KEY: 'short' })).toThrow(/ENCLAVE_ADMIN_KEY/);
    expect(() => loadConfig({ ENCLAVE_MASTER_KEY: 'abc' })).toThrow(/ENCLAVE_MASTER_KEY/);
    expect(loadConfig({ ENCLAVE_MASTER_KEY: Buffer.alloc(32).toString('base64') }).masterKey).toBeDefined();
    expect(() =>
      loadConfig({ ENCLAVE_JWT_SECRET: 'x'.repeat(32), ENCLAVE_JWT_JWKS_URL: 'https://idp.example/jwks.json' }),
    ).toThrow(/one, not both/);
  });
});
