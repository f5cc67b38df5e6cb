import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';

describe('METRICS_PORT / METRICS_HOST', () => {
  it('are unset and loopback by default', () => {
    const config = loadConfig({});
    expect(config.metricsPort).toBeUndefined();
    expect(config.metricsHost).toBe('127.0.0.1');
  });

  it('take a port and a host, from the environment or flags', () => {
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toMatchObject({
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
    });
    expect(loadConfig({}, ['--metrics-port', '9100']).metricsPort).toBe(9100);
  });

  it('refuse a bad port, and the main port, naming the variable', () => {
    for (const port of ['0', 'abc', '70000']) {
      expect(() => loadConfig({ METRICS_PORT: port }), port).toThrow(/METRICS_PORT \(--metrics-port\)/);
    }
    expect(() => loadConfig({ PORT: '8000', METRICS_PORT: '8000' })).toThrow(/METRICS_PORT.*must differ from PORT/);
  });
});
