import type { ChildServer } from './child-server.ts';
import { type LoadResult, runLoad } from './load.ts';
import { interactBody } from './scenarios.ts';
import type { BenchSettings } from './settings.ts';

/** The operator credential the auth-on server is started with. */
export const BENCH_ADMIN_KEY = `bench-admin-${'k'.repeat(40)}`;

/** Creates a tenant and an API key for it through the admin API; returns the key. */
export async function createTenantKey(server: ChildServer, tenantId: string): Promise<string> {
  const admin = { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' };
  const tenant = await fetch(`${server.baseUrl}/v1/admin/tenants`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ id: tenantId }),
  });
  if (tenant.status !== 201)
    throw new Error(`creating the bench tenant failed: ${tenant.status} ${await tenant.text()}`);
  const key = await fetch(`${server.baseUrl}/v1/admin/tenants/${tenantId}/keys`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ name: 'bench' }),
  });
  if (key.status !== 201) throw new Error(`creating the bench key failed: ${key.status} ${await key.text()}`);
  return ((await key.json()) as { key: string }).key;
}

/** Legacy interact on one tenant, optionally with a bearer credential. */
export function interactWith(
  server: ChildServer,
  settings: BenchSettings,
  tenantId: string,
  durationSeconds: number,
  token: string | null,
): Promise<LoadResult> {
  return runLoad({
    title: `interact ${token ? 'auth on' : 'auth off'}`,
    baseUrl: server.baseUrl,
    method: 'POST',
    path: '/agent/interact',
    body: interactBody(tenantId),
    durationSeconds,
    connections: settings.connections,
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
}
