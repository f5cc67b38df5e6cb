import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

describe('operations endpoints', () => {
  it('/healthz and /readyz answer', async () => {
    expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject('/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('/openapi.json is OpenAPI 3.1 and documents every public route', async () => {
    const spec = (await t.app.inject('/openapi.json')).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths).sort()).toEqual(
      [
        '/agent/history/{tenant_id}',
        '/agent/interact',
        '/console/api/session',
        '/v1/admin/providers/health',
        '/v1/admin/tenants/{tenant_id}/mcp-servers/{id}/oauth',
        '/v1/admin/tenants/{tenant_id}/mcp-servers/{id}/oauth/authorize',
        '/v1/admin/usage',
        '/v1/audit',
        '/v1/chat/completions',
        '/v1/conversations',
        '/v1/conversations/{id}',
        '/v1/conversations/{id}/items',
        '/v1/conversations/{id}/items/{item_id}',
        '/v1/mcp-servers/oauth/callback',
        '/v1/mcp-servers/{id}/oauth',
        '/v1/mcp-servers/{id}/oauth/authorize',
        '/v1/models',
        '/v1/models/{model}',
        '/v1/platform-mcp-servers',
        '/v1/platform-mcp-servers/{name}/tools',
        '/v1/responses',
        '/v1/responses/{id}',
        '/v1/responses/{id}/cancel',
        '/v1/responses/{id}/input_items',
        '/healthz',
        '/readyz',
        '/metrics',
        '/mcp',
        '/v1/sessions',
        '/v1/sessions/{id}',
        '/v1/sessions/{id}/messages',
        '/v1/turns/{id}',
        '/v1/turns/{id}/cancel',
        '/v1/turns/{id}/events',
        '/v1/agents',
        '/v1/agents/{agent_id}',
        '/v1/agents/{agent_id}/versions',
        '/v1/agents/{agent_id}/versions/{version}',
        '/v1/agents/{agent_id}/versions/{version}/restore',
        '/v1/admin/tenants/{tenant_id}/agents',
        '/v1/admin/tenants/{tenant_id}/agents/{agent_id}',
        '/v1/admin/tenants/{tenant_id}/agents/{agent_id}/versions',
        '/v1/admin/tenants/{tenant_id}/agents/{agent_id}/versions/{version}',
        '/v1/admin/tenants/{tenant_id}/agents/{agent_id}/versions/{version}/restore',
        '/v1/mcp-servers',
        '/v1/mcp-servers/{id}',
        '/v1/mcp-servers/{id}/tools',
        '/v1/mcp-servers/{id}/credentials/{user_id}',
        '/v1/admin/tenants/{tenant_id}/mcp-servers',
        '/v1/admin/tenants/{tenant_id}/mcp-servers/{id}',
        '/v1/admin/tenants/{tenant_id}/mcp-servers/{id}/tools',
        '/v1/admin/tenants/{tenant_id}/mcp-servers/{id}/credentials/{user_id}',
        '/v1/config',
        '/v1/config/versions',
        '/v1/config/rollback',
        '/v1/keys',
        '/v1/keys/{key_id}',
        '/v1/usage',
        '/v1/usage/records',
        '/v1/secrets',
        '/v1/secrets/{name}',
        '/v1/users/{user_id}',
        '/v1/admin/tenants/{tenant_id}/secrets',
        '/v1/admin/tenants/{tenant_id}/secrets/{name}',
        '/v1/admin/tenants/{tenant_id}/users/{user_id}',
        '/v1/admin/tenants',
        '/v1/admin/tenants/{tenant_id}',
        '/v1/admin/tenants/{tenant_id}/suspend',
        '/v1/admin/tenants/{tenant_id}/resume',
        '/v1/admin/tenants/{tenant_id}/audit',
        '/v1/admin/tenants/{tenant_id}/export',
        '/v1/admin/tenants/{tenant_id}/config',
        '/v1/admin/tenants/{tenant_id}/config/versions',
        '/v1/admin/tenants/{tenant_id}/config/rollback',
        '/v1/admin/tenants/{tenant_id}/keys',
        '/v1/admin/tenants/{tenant_id}/keys/{key_id}',
        '/v1/admin/tenants/{tenant_id}/usage',
        '/v1/admin/tenants/{tenant_id}/usage/records',
      ].sort(),
    );
    const interact = spec.paths['/agent/interact'].post;
    expect(Object.keys(interact.responses)).toEqual(expect.arrayContaining(['200', '413', '422']));
  });

  it('/docs serves the interactive API reference', async () => {
    const response = await t.app.inject('/docs/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('/openapi.json');
    // Scalar loads on the first request; its script is served, and the path without a slash redirects.
    const script = await t.app.inject('/docs/js/scalar.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body.length).toBeGreaterThan(100_000);
    const bare = await t.app.inject('/docs');
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe('/docs/');
  });
});

describe('readiness during shutdown', () => {
  it('/readyz fails once close has begun', async () => {
    const other = await createTestApp();
    const closing = other.close();
    const response = await other.app.inject('/readyz');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'NOT_READY', detail: 'The server is shutting down' });
    await closing;
    await other.dispose();
  });
});
