import type { AddressInfo } from 'node:net';
import { createTenantWithKey, type HttpAnswer, request } from './request.ts';
import { createTestApp, type TestApp } from './test-app.ts';

export interface Replica {
  app: TestApp;
  /** `http://127.0.0.1:<port>`: the replica listens on a real port. */
  baseUrl: string;
}

export interface ReplicaSet {
  replicas: Replica[];
  close(): Promise<void>;
}

/**
 * `count` app instances of one deployment, each listening on its own port: they share one database
 * (by default the test dialect's, in one temporary folder; or `databaseUrl`) and whatever the env
 * names, such as `REDIS_URL`. Each has its own memory, registries and connections, like a replica.
 * Resolves once every replica answers /readyz (with Redis: subscribed to the turn bus).
 */
export async function startReplicas(options: {
  count: number;
  /** API keys required, with this admin credential (`ENCLAVE_AUTH=required`, `ENCLAVE_ADMIN_KEY`). */
  adminKey?: string;
  env?: Record<string, string>;
  databaseUrl?: string;
  simulatedWordDelayMs?: number;
}): Promise<ReplicaSet> {
  const env = {
    // Load shedding is tested on its own; here a loop busy loading modules in parallel test
    // workers must not answer 503 for the replicas under test.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(options.adminKey ? { ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: options.adminKey } : {}),
    ...options.env,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  };
  const extra = options.simulatedWordDelayMs ? { simulatedWordDelayMs: options.simulatedWordDelayMs } : {};
  const first = await createTestApp(env, extra);
  const apps = [first];
  for (let index = 1; index < options.count; index++) apps.push(await createTestApp(env, { ...extra, dir: first.dir }));
  const replicas: Replica[] = [];
  for (const app of apps) {
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.app.server.address() as AddressInfo;
    replicas.push({ app, baseUrl: `http://127.0.0.1:${port}` });
  }
  for (const { baseUrl } of replicas) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await fetch(`${baseUrl}/readyz`);
      const body = await answer.text();
      if (answer.status === 200) break;
      if (Date.now() > deadline) throw new Error(`${baseUrl} did not become ready: ${answer.status} ${body}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return {
    replicas,
    async close() {
      // The first owns the folder (and a test database): it goes last.
      for (const { app } of replicas.slice(1)) await app.dispose();
      await first.dispose();
    },
  };
}

/** POSTs JSON (or nothing) to one replica over its real port. */
export function postTo(
  replica: Replica,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<HttpAnswer> {
  return request(replica.baseUrl, 'POST', path, headers, body);
}

export interface TwoReplicas {
  a: Replica;
  b: Replica;
  /** The Authorization header of each tenant's key, by the name it was asked for under. */
  auth: Record<string, Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Two replicas of one deployment (see `startReplicas`) with API keys required, and one tenant per
 * name, created through A with its key made through B. Tenant ids are the names with a unique
 * suffix, since Redis outlives a test run.
 */
export async function startTwoReplicas(
  options: Omit<Parameters<typeof startReplicas>[0], 'count'> & { adminKey: string; tenants: readonly string[] },
): Promise<TwoReplicas> {
  const { tenants, ...rest } = options;
  const set = await startReplicas({ count: 2, ...rest });
  const [a, b] = set.replicas as [Replica, Replica];
  const auth: Record<string, Record<string, string>> = {};
  for (const name of tenants) {
    const id = `${name}-${Date.now().toString(36)}`;
    const key = { key: { name: 'chat' }, keyBaseUrl: b.baseUrl };
    auth[name] = (await createTenantWithKey(a.baseUrl, options.adminKey, id, key)).headers;
  }
  return { a, b, auth, close: () => set.close() };
}
