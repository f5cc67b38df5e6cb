import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'l'.repeat(40)}`;
let t: TestApp;
let without: TestApp;

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, METRICS_PORT: '9464' });
  without = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
});
afterAll(async () => {
  await t.dispose();
  await without.dispose();
});

describe('METRICS_PORT: the metrics-only listener', () => {
  it('serves /metrics without any credential, so Prometheus never holds the admin key', async () => {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    const metricsApp = t.metricsApp;
    if (!metricsApp) throw new Error('METRICS_PORT is set but there is no metrics app');
    const response = await metricsApp.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/enclave_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
  });

  it('serves nothing else: every other path is 404 and another method on /metrics 405, as problem+json', async () => {
    for (const [method, url, status, code] of [
      ['GET', '/v1/admin/tenants', 404, 'ROUTE_NOT_FOUND'],
      ['GET', '/agent/history/acme', 404, 'ROUTE_NOT_FOUND'],
      ['POST', '/metrics', 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/docs', 404, 'ROUTE_NOT_FOUND'],
    ] as const) {
      const response = await t.metricsApp?.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` } });
      expect(response?.statusCode, `${method} ${url}`).toBe(status);
      expect(response?.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response?.json()).toMatchObject({ code });
    }
  });

  it('leaves /metrics on the main port behind the admin credential', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } }))
        .statusCode,
    ).toBe(200);
  });

  it('is absent unless METRICS_PORT is set', () => {
    expect(without.metricsApp).toBeNull();
  });
});
