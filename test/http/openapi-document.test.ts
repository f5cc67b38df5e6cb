import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationIdFor } from '../../src/http/openapi-document.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

type Json = Record<string, unknown>;
interface Operation {
  operationId?: string;
  security?: unknown[];
}

let t: TestApp;
let spec: Json & { paths: Record<string, Record<string, Operation>> };
beforeAll(async () => {
  // Auth required: the page, the document and the icon must still be public.
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: `admin-${'o'.repeat(40)}` });
  spec = (await t.app.inject('/openapi.json')).json();
});
afterAll(async () => {
  await t.dispose();
});

const operations = () =>
  Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );

/** Every value under `value`, with the key it sits under. */
function* entries(value: unknown): Generator<[string, unknown]> {
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    yield [key, child];
    yield* entries(child);
  }
}

describe('the OpenAPI document', () => {
  it('gives every operation a unique operationId from its method and route, so new routes get one too', () => {
    expect(operations().length).toBeGreaterThan(40);
    for (const { path, method, operation } of operations()) {
      expect(operation.operationId, `${method} ${path}`).toBe(operationIdFor(method, path));
    }
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operationIdFor('GET', '/v1/sessions/:id/messages')).toBe('getV1SessionsByIdMessages');
    expect(operationIdFor('delete', '/v1/admin/tenants/{tenant_id}/keys/{key_id}')).toBe(
      'deleteV1AdminTenantsByTenantIdKeysByKeyId',
    );
  });

  it('requires the bearer scheme everywhere but on the public health and console sign-in routes, and names a server', () => {
    expect(spec.servers).toEqual([{ url: '/', description: 'This server' }]);
    expect(spec.security).toEqual([{ bearerAuth: [] }]);
    expect((spec.components as Json).securitySchemes).toMatchObject({ bearerAuth: { type: 'http', scheme: 'bearer' } });
    const open = operations().filter(
      ({ operation }) => Array.isArray(operation.security) && operation.security.length === 0,
    );
    expect(open.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'delete /console/api/session',
      'get /console/api/session',
      'get /healthz',
      'get /readyz',
      'post /console/api/session',
    ]);
    expect(spec.info).toMatchObject({ license: { name: 'Apache-2.0' } });
  });

  it('has no unused schemas and no examples a request would fail with', () => {
    const text = JSON.stringify(spec);
    for (const name of Object.keys((spec.components as { schemas: Json }).schemas)) {
      expect(text, name).toContain(`"#/components/schemas/${name}"`);
    }
    for (const [key, value] of entries(spec)) {
      if (key === 'minimum' || key === 'maximum') expect(Math.abs(value as number)).not.toBe(Number.MAX_SAFE_INTEGER);
    }
    const turn = spec.paths['/v1/sessions/{id}/messages']?.post as Json;
    const body = JSON.stringify(turn.requestBody);
    expect(body).toContain('"examples":["en"]');
  });
});

describe('/docs and /favicon.ico', () => {
  it("serve Enclave's page without credentials, with bearer auth and none of Scalar's services", async () => {
    const page = await t.app.inject('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Enclave API</title>');
    const configuration = JSON.parse(page.body.match(/createApiReference\('#app', (\{[\s\S]*?\})\)/)?.[1] ?? '{}');
    expect(configuration).toMatchObject({
      url: '/openapi.json',
      favicon: '/favicon.ico',
      authentication: { preferredSecurityScheme: 'bearerAuth' },
      withDefaultFonts: false,
      telemetry: false,
      showDeveloperTools: 'never',
      agent: { disabled: true },
    });
    const icon = await t.app.inject('/favicon.ico');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(icon.body).toMatch(/^<svg /);
  });
});
