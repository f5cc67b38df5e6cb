import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

type Json = Record<string, unknown>;
const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, tenant: string | null, payload?: Json) => {
  const response = await t.app.inject({
    method,
    url,
    headers: tenant === null ? {} : { 'tenant-id': tenant },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.body ? response.json() : null, headers: response.headers };
};

describe('/v1/sessions', () => {
  it('creates, reads, lists and deletes sessions of the header tenant', async () => {
    const created = await call('POST', '/v1/sessions', 'acme', { title: 'Support', metadata: { plan: 'pro' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: 'session',
      title: 'Support',
      metadata: { plan: 'pro' },
      message_count: 0,
    });
    const id = created.body.id as string;
    expect(id).toMatch(/^ses_/);

    expect((await call('GET', `/v1/sessions/${id}`, 'acme')).body).toEqual(created.body);
    const bare = await call('POST', '/v1/sessions', 'acme');
    expect(bare.status).toBe(201);

    const list = await call('GET', '/v1/sessions?limit=1', 'acme');
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].id).toBe(bare.body.id);
    expect(list.body.has_more).toBe(true);
    const next = await call('GET', `/v1/sessions?limit=1&cursor=${list.body.next_cursor}`, 'acme');
    expect(next.body.data[0].id).toBe(id);
    expect(next.body.has_more).toBe(false);

    expect((await call('DELETE', `/v1/sessions/${id}`, 'acme')).status).toBe(204);
    expect((await call('GET', `/v1/sessions/${id}`, 'acme')).status).toBe(404);
    expect((await call('DELETE', `/v1/sessions/${id}`, 'acme')).status).toBe(404);
  });

  it('answers for another tenant session exactly as for a missing one', async () => {
    const own = await call('POST', '/v1/sessions', 'tenant-a', { title: 'private' });
    const id = own.body.id as string;
    for (const [method, url] of [
      ['GET', `/v1/sessions/${id}`],
      ['GET', `/v1/sessions/${id}/messages`],
      ['DELETE', `/v1/sessions/${id}`],
    ] as const) {
      const foreign = await call(method, url, 'tenant-b');
      const missing = await call(method, url.replace(id, 'ses_doesnotexist'), 'tenant-b');
      expect(foreign.status).toBe(404);
      expect({ ...foreign.body, request_id: '' }).toEqual({ ...missing.body, request_id: '' });
    }
    const turn = await call('POST', `/v1/sessions/${id}/messages`, 'tenant-b', { content: 'hi' });
    expect(turn.status).toBe(404);
    expect(turn.body.code).toBe('SESSION_NOT_FOUND');
    expect((await call('GET', '/v1/sessions', 'tenant-b')).body.data).toEqual([]);
    expect((await call('GET', `/v1/sessions/${id}`, 'tenant-a')).status).toBe(200);
  });

  it('requires a valid Tenant-ID header', async () => {
    const missing = await call('GET', '/v1/sessions', null);
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('TENANT_ID_REQUIRED');
    const bad = await call('GET', '/v1/sessions', 'bad/tenant');
    expect(bad.status).toBe(422);
  });

  it('rejects unknown fields, wrong types and bad cursors', async () => {
    expect((await call('POST', '/v1/sessions', 'acme', { title: 5 })).status).toBe(422);
    expect((await call('POST', '/v1/sessions', 'acme', { owner: 'x' })).status).toBe(422);
    const cursor = await call('GET', '/v1/sessions?cursor=%%%', 'acme');
    expect(cursor.status).toBe(422);
    expect((await call('GET', '/v1/sessions?limit=101', 'acme')).status).toBe(422);
  });

  it('answers unknown routes with problem+json 404', async () => {
    const response = await call('GET', '/v1/nothing-here', 'acme');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers a method a path does not take with 405 METHOD_NOT_ALLOWED and Allow', async () => {
    const created = await call('POST', '/v1/sessions', 'acme', {});
    for (const url of [`/v1/sessions/${created.body.id}`, `/v1/sessions/ses_${'0'.repeat(26)}/`]) {
      const response = await t.app.inject({ method: 'PUT', url, headers: { 'tenant-id': 'acme' } });
      expect(response.statusCode).toBe(405);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      // PATCH hands the session over to another agent.
      expect(response.headers.allow).toBe('DELETE, GET, HEAD, PATCH');
      expect(response.json().code).toBe('METHOD_NOT_ALLOWED');
    }
    const list = await t.app.inject({ method: 'DELETE', url: '/v1/sessions', headers: { 'tenant-id': 'acme' } });
    expect(list.statusCode).toBe(405);
    expect(list.headers.allow).toBe('GET, HEAD, POST');
  });

  it('answers a body without Content-Type, or not JSON, with 415 CONTENT_TYPE_UNSUPPORTED', async () => {
    const types = [{}, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'text/plain' }];
    for (const headers of [...types, { 'content-type': 'text/plain; charset=utf-8' }]) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { 'tenant-id': 'acme', ...headers },
        payload: '{"title":"x"}',
      });
      expect(response.statusCode).toBe(415);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'CONTENT_TYPE_UNSUPPORTED', status: 415 });
    }
    // A text/plain body on a turn, too (Fastify's default text parser used to let it through to a 422).
    const session = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { 'tenant-id': 'acme' },
      payload: {},
    });
    const turn = await t.app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.json().id}/messages`,
      headers: { 'tenant-id': 'acme', 'content-type': 'text/plain' },
      payload: '{"content":"hi"}',
    });
    expect(turn.statusCode).toBe(415);
    expect(turn.json().code).toBe('CONTENT_TYPE_UNSUPPORTED');
    // The original API keeps its 422 contract, text/plain included.
    for (const headers of [{}, { 'content-type': 'text/plain' }]) {
      const legacy = await t.app.inject({
        method: 'POST',
        url: '/agent/interact',
        headers,
        payload: '{"tenant_id":"acme","message":"hi"}',
      });
      expect(legacy.statusCode).toBe(422);
      expect(legacy.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });
});
