import { type LoadResult, runLoad } from './load.ts';
import type { BenchSettings } from './settings.ts';

/** A plain message: it names no tool, so the simulated model answers in one step. */
export const INTERACT_MESSAGE = 'Hello agent, how is the weather today?';

export const interactBody = (tenantId: string): string =>
  JSON.stringify({ tenant_id: tenantId, message: INTERACT_MESSAGE });

export const historyPath = (tenantId: string, limit: number): string => `/agent/history/${tenantId}?limit=${limit}`;

/** Tenant ids unique to this run: `<prefix>-<run>-<n>`. */
export function tenantIds(prefix: string): () => string {
  const run = Date.now().toString(36);
  let next = 0;
  return () => `${prefix}-${run}-${++next}`;
}

async function post(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

/** One interact call that must succeed with the legacy response shape; returns the body size in bytes. */
export async function checkInteract(baseUrl: string, tenantId: string): Promise<number> {
  const response = await post(`${baseUrl}/agent/interact`, interactBody(tenantId));
  const text = await response.text();
  const body = JSON.parse(text) as { tenant_id?: unknown; response?: unknown };
  if (!response.ok || body.tenant_id !== tenantId || typeof body.response !== 'string') {
    throw new Error(`interact check failed (${response.status}): ${text.slice(0, 500)}`);
  }
  return Buffer.byteLength(text);
}

/** One history page that must be full and have more behind it (the tenant is seeded). */
export async function checkHistoryPage(baseUrl: string, tenantId: string, limit: number): Promise<void> {
  const response = await fetch(`${baseUrl}${historyPath(tenantId, limit)}`);
  const text = await response.text();
  const body = JSON.parse(text) as { history?: unknown[]; has_more?: unknown };
  if (!response.ok || body.history?.length !== limit || body.has_more !== true) {
    throw new Error(`history check failed (${response.status}): ${text.slice(0, 500)}`);
  }
}

/** Interact load where every request names a new tenant (creates tenant, session and one turn). */
export function interactFreshTenants(
  baseUrl: string,
  settings: BenchSettings,
  durationSeconds: number,
  prefix = 'fresh',
): Promise<LoadResult> {
  const nextTenant = tenantIds(prefix);
  return runLoad({
    title: 'interact-fresh-tenants',
    baseUrl,
    method: 'POST',
    path: '/agent/interact',
    body: () => interactBody(nextTenant()),
    durationSeconds,
    connections: settings.connections,
  });
}

/** Exactly `tenants` interact calls, each naming a new tenant (a memory probe rather than a speed run). */
export function interactNewTenants(baseUrl: string, settings: BenchSettings, tenants: number): Promise<LoadResult> {
  const nextTenant = tenantIds('mem');
  return runLoad({
    title: 'interact-new-tenants',
    baseUrl,
    method: 'POST',
    path: '/agent/interact',
    body: () => interactBody(nextTenant()),
    durationSeconds: 0,
    amount: tenants,
    connections: settings.connections,
  });
}

/** Interact load where every request goes to one tenant, whose legacy history grows by two messages each. */
export function interactOneTenant(
  baseUrl: string,
  settings: BenchSettings,
  tenantId: string,
  durationSeconds: number,
): Promise<LoadResult> {
  return runLoad({
    title: `interact-one-tenant ${tenantId}`,
    baseUrl,
    method: 'POST',
    path: '/agent/interact',
    body: interactBody(tenantId),
    durationSeconds,
    connections: settings.connections,
  });
}

/** The legacy history page, read over and over. */
export function historyPage(baseUrl: string, settings: BenchSettings, tenantId: string): Promise<LoadResult> {
  return runLoad({
    title: `history-page ${tenantId}`,
    baseUrl,
    method: 'GET',
    path: historyPath(tenantId, settings.historyPageLimit),
    durationSeconds: settings.durationSeconds,
    connections: settings.connections,
  });
}

/** The ceiling: the same small JSON POST against the bare node:http echo server. */
export function echo(baseUrl: string, settings: BenchSettings, durationSeconds: number): Promise<LoadResult> {
  return runLoad({
    title: 'echo',
    baseUrl,
    method: 'POST',
    path: '/echo',
    body: interactBody('echo-tenant'),
    durationSeconds,
    connections: settings.connections,
  });
}
