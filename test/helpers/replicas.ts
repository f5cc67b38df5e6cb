import type { AddressInfo } from 'node:net';
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
  env?: Record<string, string>;
  databaseUrl?: string;
  simulatedWordDelayMs?: number;
}): Promise<ReplicaSet> {
  const env = {
    // Load shedding is tested on its own; here a loop busy loading modules in parallel test
    // workers must not answer 503 for the replicas under test.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
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
    while ((await fetch(`${baseUrl}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`${baseUrl} did not become ready`);
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

/** POSTs JSON (or nothing) to one replica over its real port; the answer's status and parsed body. */
export async function postTo(
  replica: Replica,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: ReturnType<typeof JSON.parse> }> {
  const response = await fetch(`${replica.baseUrl}${path}`, {
    method: 'POST',
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: JSON.parse(await response.text()) };
}

/**
 * One tenant per name, created through `creator` with an API key made through `keyMaker` (two
 * replicas of one deployment): the key's Authorization header by name.
 */
export async function tenantsWithKeys(
  creator: Replica,
  keyMaker: Replica,
  adminKey: string,
  names: readonly string[],
): Promise<Record<string, Record<string, string>>> {
  const admin = { authorization: `Bearer ${adminKey}` };
  const headers: Record<string, Record<string, string>> = {};
  for (const name of names) {
    const id = `${name}-${Date.now().toString(36)}`;
    await postTo(creator, '/v1/admin/tenants', admin, { id });
    const key = await postTo(keyMaker, `/v1/admin/tenants/${id}/keys`, admin, { name: 'chat' });
    headers[name] = { authorization: `Bearer ${key.json.key}` };
  }
  return headers;
}
