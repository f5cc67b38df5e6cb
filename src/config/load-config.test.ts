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
