import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/telemetry/create-metrics.ts';
import { awayFromMinuteEdge } from '../helpers/fixed-window.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { createTestApp, TEST_DIALECT, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'m'.repeat(40)}`;
let t: TestApp;
let key: string;
const admin = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  await t.app.inject({
    method: 'POST',
    url: '/v1/admin/tenants',
    headers: admin,
    payload: { id: 'secret-tenant-name', config: { limits: { requestsPerMinute: 3 } } },
  });
  key = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/secret-tenant-name/keys',
      headers: admin,
      payload: { name: 'k' },
    })
  ).json().key;
});
afterAll(async () => {
  await t.dispose();
});

describe('/metrics', () => {
  it('counts requests by route pattern, turns, tokens, tool calls and limit refusals, with no tenant labels', async () => {
    const headers = { authorization: `Bearer ${key}` };
    const interact = (message: string) =>
      t.app.inject({
        method: 'POST',
        url: '/agent/interact',
        headers,
        payload: { tenant_id: 'secret-tenant-name', message },
      });
    await awayFromMinuteEdge();
    expect((await interact('hello')).statusCode).toBe(200);
    expect((await interact('what is the current_time?')).statusCode).toBe(200);
    await interact('x');
    expect((await interact('y')).statusCode).toBe(429);

    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(text).toMatch(/enclave_http_requests_total\{method="POST",route="\/agent\/interact",status="200"\} 3/);
    expect(text).toMatch(/enclave_http_requests_total\{method="POST",route="\/agent\/interact",status="429"\} 1/);
    expect(text).toMatch(
      /enclave_http_request_duration_seconds_count\{method="POST",route="\/agent\/interact",status="200"\} 3/,
    );
    expect(text).toMatch(
      /enclave_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/agent\/interact",status="200"\} 3/,
    );
    // One model call per turn, plus one for the step after the current_time tool call.
    expect(text).toMatch(/enclave_model_call_duration_seconds_count\{provider="simulated",outcome="completed"\} 4/);
    expect(text).toMatch(/enclave_turn_duration_seconds_count\{outcome="completed"\} 3/);
    expect(text).toMatch(/enclave_tool_calls_total 1/);
    expect(text).toMatch(/enclave_tokens_total\{direction="input"\} [1-9]/);
    expect(text).toMatch(/enclave_limit_rejections_total\{code="RATE_LIMITED"\} 1/);
    expect(text).toMatch(/enclave_nodejs_eventloop_lag_seconds/);
    expect(text).not.toContain('secret-tenant-name');
  });

  it('counts a streamed turn by its route pattern, and the stream gauge returns to zero', async () => {
    const tenant = { ...admin, 'tenant-id': 'streaming-tenant' };
    await t.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: admin,
      payload: { id: 'streaming-tenant' },
    });
    const session = await t.app.inject({ method: 'POST', url: '/v1/sessions', headers: tenant, payload: {} });
    expect(session.statusCode).toBe(201);
    const stream = await t.app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.json().id}/messages`,
      headers: { ...tenant, accept: 'text/event-stream' },
      payload: { content: 'hello there' },
    });
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.body).toContain('event: turn-end');

    const text = (await t.app.inject({ method: 'GET', url: '/metrics', headers: admin })).body;
    expect(text).toMatch(
      /enclave_http_requests_total\{method="POST",route="\/v1\/sessions\/:id\/messages",status="200"\} 1/,
    );
    expect(text).toMatch(/enclave_active_streams 0/);
    expect(text).not.toMatch(/streaming-tenant|ses_/);
  });

  it('counts requests the HTTP parser refused, by status, with no route or tenant', async () => {
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(base).port);
    const badLength = 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n';
    const expect417 = `POST /agent/interact HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nExpect: bogus\r\nContent-Length: 2\r\n\r\n{}`;
    expect((await rawExchange(port, [badLength]))?.status).toBe(400);
    expect((await rawExchange(port, [badLength]))?.status).toBe(400);
    expect((await rawExchange(port, [expect417]))?.status).toBe(417);
    const text = (await t.app.inject({ method: 'GET', url: '/metrics', headers: admin })).body;
    expect(text).toMatch(/enclave_http_requests_total\{method="unparsed",route="unparsed",status="400"\} 2/);
    expect(text).toMatch(/enclave_http_requests_total\{method="unparsed",route="unparsed",status="417"\} 1/);
    expect(text).not.toMatch(/enclave_http_request_duration_seconds_count\{method="unparsed"/);
  });

  it('needs the admin credential when auth is on', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const tenant = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${key}` } });
    expect([403, 429]).toContain(tenant.statusCode);
  });
});

describe('database pool gauges', () => {
  it('reports the pool on every scrape, and nothing while there is no pool', async () => {
    const metrics = createMetrics();
    let stats: { total: number; idle: number; waiting: number } | null = { total: 4, idle: 1, waiting: 2 };
    metrics.observeDatabasePool(() => stats);
    let text = (await metrics.render()).body;
    expect(text).toMatch(/enclave_db_pool_connections\{state="total"\} 4/);
    expect(text).toMatch(/enclave_db_pool_connections\{state="idle"\} 1/);
    expect(text).toMatch(/enclave_db_pool_connections\{state="waiting"\} 2/);

    stats = { total: 5, idle: 5, waiting: 0 };
    text = (await metrics.render()).body;
    expect(text).toMatch(/enclave_db_pool_connections\{state="total"\} 5/);
    expect(text).toMatch(/enclave_db_pool_connections\{state="waiting"\} 0/);

    stats = null;
    text = (await metrics.render()).body;
    expect(text).not.toMatch(/enclave_db_pool_connections\{/);
  });

  it('labels a model call of an unknown provider name as other', async () => {
    const metrics = createMetrics();
    metrics.modelCall('acme-private-gateway', 'completed', 0.2);
    metrics.modelCall('openai', 'failed', 1);
    const text = (await metrics.render()).body;
    expect(text).toMatch(/enclave_model_call_duration_seconds_count\{provider="other",outcome="completed"\} 1/);
    expect(text).toMatch(/enclave_model_call_duration_seconds_count\{provider="openai",outcome="failed"\} 1/);
    expect(text).not.toContain('acme-private-gateway');
  });
});

describe('database pool on the server', () => {
  it('/metrics reports the PostgreSQL pool, and no pool on SQLite', async () => {
    const text = (await t.app.inject({ method: 'GET', url: '/metrics', headers: admin })).body;
    if (TEST_DIALECT === 'postgres') {
      expect(text).toMatch(/enclave_db_pool_connections\{state="total"\} [1-9]/);
      expect(text).toMatch(/enclave_db_pool_connections\{state="waiting"\} 0/);
    } else {
      expect(text).not.toMatch(/enclave_db_pool_connections\{/);
    }
  });
});
