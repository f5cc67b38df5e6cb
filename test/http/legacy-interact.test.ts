import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

const interact = (payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/agent/interact', payload: payload as object, headers });

describe('POST /agent/interact (seed contract)', () => {
  it('answers 200 with the original shape and prefix, creating the tenant on first use', async () => {
    const response = await interact({ tenant_id: 'acme', message: 'Hello' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toEqual({ tenant_id: 'acme', response: "Agent response to 'Hello' with context: " });
  });

  it('builds the context from the tenant earlier turns', async () => {
    await interact({ tenant_id: 'ctx', message: 'first' });
    const response = await interact({ tenant_id: 'ctx', message: 'second' });
    expect(response.json().response).toBe("Agent response to 'second' with context: first");
  });

  it('keeps tenants apart: one tenant never sees another tenant turns in its context', async () => {
    await interact({ tenant_id: 'iso-a', message: 'secret-of-a' });
    const response = await interact({ tenant_id: 'iso-b', message: 'hello' });
    expect(response.json().response).toBe("Agent response to 'hello' with context: ");
    const history = await t.app.inject({ method: 'GET', url: '/agent/history/iso-b' });
    expect(JSON.stringify(history.json())).not.toContain('secret-of-a');
  });

  it('accepts an empty message, as the original did', async () => {
    const response = await interact({ tenant_id: 'empty', message: '' });
    expect(response.statusCode).toBe(200);
    expect(response.json().response).toBe("Agent response to '' with context: ");
  });

  it.each([
    ['a missing field', { tenant_id: 'x' }],
    ['a null field', { tenant_id: 'x', message: null }],
    ['a number for a string (no coercion)', { tenant_id: 5, message: 'x' }],
    ['a number message', { tenant_id: 'x', message: 42 }],
    ['a non-object body', ['tenant_id', 'message']],
    ['an empty tenant id', { tenant_id: '', message: 'x' }],
    ['a tenant id with a slash', { tenant_id: 'a/b', message: 'x' }],
    ['a tenant id starting with a dot', { tenant_id: '.hidden', message: 'x' }],
    ['a tenant id over 64 characters', { tenant_id: 'a'.repeat(65), message: 'x' }],
  ])('answers 422 problem+json for %s', async (_name, payload) => {
    const response = await interact(payload);
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = response.json();
    expect(body).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(typeof body.detail).toBe('string');
    expect(body.request_id).toBe(response.headers['x-request-id']);
  });

  it('answers 422 MALFORMED_JSON for malformed JSON', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/agent/interact',
      payload: '{"tenant_id": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('MALFORMED_JSON');
  });

  it('answers 422 for a body that is not JSON', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/agent/interact',
      payload: 'tenant_id=x&message=y',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 422 when the message is over the configured length', async () => {
    const response = await interact({ tenant_id: 'long', message: 'x'.repeat(t.config.messageMaxChars + 1) });
    expect(response.statusCode).toBe(422);
    const ok = await interact({ tenant_id: 'long', message: 'x'.repeat(t.config.messageMaxChars) });
    expect(ok.statusCode).toBe(200);
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over the limit', async () => {
    const response = await interact({ tenant_id: 'big', message: 'x'.repeat(t.config.bodyLimitBytes + 10) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
  });

  it('echoes a well-formed X-Request-ID and replaces a hostile one', async () => {
    const kept = await interact({ tenant_id: 'rid', message: 'x' }, { 'x-request-id': 'abc-123' });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await interact({ tenant_id: 'rid', message: 'x' }, { 'x-request-id': 'bad id\u0000' });
    expect(replaced.headers['x-request-id']).not.toContain('bad');
  });
});
