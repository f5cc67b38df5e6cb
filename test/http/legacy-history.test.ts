import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  for (let index = 1; index <= 25; index++) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/agent/interact',
      payload: { tenant_id: 'hist', message: `m${index}` },
    });
    expect(response.statusCode).toBe(200);
  }
});
afterAll(async () => {
  await t.dispose();
});

const history = (query = '', tenant = 'hist') =>
  t.app.inject({ method: 'GET', url: `/agent/history/${tenant}${query}` });

describe('GET /agent/history/{tenant_id} (seed contract)', () => {
  it('returns every interaction in arrival order with the original fields', async () => {
    const response = await history();
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.tenant_id).toBe('hist');
    expect(body.history).toHaveLength(25);
    expect(body.history[0]).toEqual({ message: 'm1', response: "Agent response to 'm1' with context: " });
    expect(body.history.map((item: { message: string }) => item.message)).toEqual(
      Array.from({ length: 25 }, (_, index) => `m${index + 1}`),
    );
    expect(body.has_more).toBe(false);
    expect(body.next_cursor).toBeNull();
  });

  it('returns the newest `limit` interactions, in arrival order, and pages back with `before`', async () => {
    const first = (await history('?limit=10')).json();
    expect(first.history.map((item: { message: string }) => item.message)).toEqual(
      Array.from({ length: 10 }, (_, index) => `m${index + 16}`),
    );
    expect(first.has_more).toBe(true);
    const second = (await history(`?limit=10&before=${first.next_cursor}`)).json();
    expect(second.history[0].message).toBe('m6');
    expect(second.history.at(-1).message).toBe('m15');
    const third = (await history(`?limit=10&before=${second.next_cursor}`)).json();
    expect(third.history.map((item: { message: string }) => item.message)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(third.has_more).toBe(false);
    expect(third.next_cursor).toBeNull();
  });

  it('answers 404 with detail "Tenant not found" for an unknown tenant', async () => {
    const response = await history('', 'nobody');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ detail: 'Tenant not found', code: 'TENANT_NOT_FOUND', status: 404 });
  });

  it.each([['limit=0'], ['limit=1001'], ['limit=abc'], ['limit=-1'], ['before=not-a-cursor!'], ['before=eyJ4IjoxfQ']])(
    'answers 422 for %s',
    async (query) => {
      const response = await history(`?${query}`);
      expect(response.statusCode).toBe(422);
      expect(['VALIDATION_FAILED', 'INVALID_CURSOR']).toContain(response.json().code);
    },
  );

  it('answers 422 for a tenant id that breaks the id rules', async () => {
    const response = await history('', '.bad');
    expect(response.statusCode).toBe(422);
  });

  it('caps a page at 1000 interactions', async () => {
    const response = await history('?limit=1000');
    expect(response.statusCode).toBe(200);
  });
});
