import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/test-app.ts';

describe('HTTP server timeouts', () => {
  it('uses the defaults: 30 s to receive a request, 10 s for its headers, 72 s keep-alive, no idle cut', async () => {
    const t = await createTestApp();
    try {
      const server = t.app.server;
      expect(server.requestTimeout).toBe(30_000);
      expect(server.headersTimeout).toBe(10_000);
      expect(server.keepAliveTimeout).toBe(72_000);
      expect(server.timeout).toBe(0);
    } finally {
      await t.dispose();
    }
  });

  it('takes each timeout from config, and never lets the headers wait longer than the whole request', async () => {
    const t = await createTestApp({
      HTTP_REQUEST_TIMEOUT_MS: '5000',
      HTTP_HEADERS_TIMEOUT_MS: '8000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_CONNECTION_TIMEOUT_MS: '120000',
    });
    try {
      const server = t.app.server;
      expect(server.requestTimeout).toBe(5_000);
      expect(server.headersTimeout).toBe(5_000);
      expect(server.keepAliveTimeout).toBe(65_000);
      expect(server.timeout).toBe(120_000);
    } finally {
      await t.dispose();
    }
  });

  it('keeps the headers timeout when the request timeout is off', async () => {
    const t = await createTestApp({ HTTP_REQUEST_TIMEOUT_MS: '0', HTTP_HEADERS_TIMEOUT_MS: '15000' });
    try {
      expect(t.app.server.requestTimeout).toBe(0);
      expect(t.app.server.headersTimeout).toBe(15_000);
    } finally {
      await t.dispose();
    }
  });
});
