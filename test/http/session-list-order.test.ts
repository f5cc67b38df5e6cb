import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Runs on SQLite and, in the postgres project, on PostgreSQL under row-level security.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.dispose();
});

const headers = (tenant: string) => ({ 'tenant-id': tenant });

/** Resolves once the clock has moved to a later millisecond, so two creations never share one. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function interact(tenant: string): Promise<void> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/agent/interact',
    payload: { tenant_id: tenant, message: 'hello' },
  });
  expect(response.statusCode).toBe(200);
  await nextMillisecond();
}

async function createSession(tenant: string): Promise<string> {
  const response = await t.app.inject({ method: 'POST', url: '/v1/sessions', headers: headers(tenant) });
  expect(response.statusCode).toBe(201);
  await nextMillisecond();
  return response.json().id;
}

/** Every session id, newest first, a page of `limit` at a time through the cursor. */
async function listAll(tenant: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const response = await t.app.inject({
      method: 'GET',
      url: `/v1/sessions?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      headers: headers(tenant),
    });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { data: { id: string }[]; has_more: boolean; next_cursor: string | null };
    ids.push(...body.data.map((session) => session.id));
    if (!body.has_more) return ids;
    cursor = body.next_cursor;
  }
  throw new Error('more pages than sessions');
}

describe('GET /v1/sessions lists newest first, the legacy session by its creation time', () => {
  it('places an older legacy session after newer sessions, on every page size', async () => {
    await interact('order-a');
    const first = await createSession('order-a');
    const second = await createSession('order-a');
    for (const limit of [1, 2, 3, 10]) {
      expect(await listAll('order-a', limit), `limit ${limit}`).toEqual([second, first, 'ses_legacy']);
    }
  });

  it('places the legacy session between sessions created before and after it', async () => {
    const before = await createSession('order-b');
    await interact('order-b');
    const after = await createSession('order-b');
    for (const limit of [1, 2, 3, 10]) {
      expect(await listAll('order-b', limit), `limit ${limit}`).toEqual([after, 'ses_legacy', before]);
    }
  });

  it('lists a legacy session created last first', async () => {
    const only = await createSession('order-c');
    await interact('order-c');
    expect(await listAll('order-c', 1)).toEqual(['ses_legacy', only]);
  });
});
