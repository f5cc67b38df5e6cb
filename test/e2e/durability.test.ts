import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E2E_DIALECTS, type E2eDatabase, e2eDatabase } from '../helpers/e2e-database.ts';
import { type SpawnedServer, spawnServer } from '../helpers/spawn-server.ts';

interface Acknowledged {
  tenantId: string;
  message: string;
  response: string;
}

interface HistoryPage {
  tenant_id: string;
  history: { message: string; response: string }[];
  has_more: boolean;
  next_cursor: string | null;
}

let dir: string;
let database: E2eDatabase | null;
const servers: SpawnedServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop('SIGKILL');
  await database?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<SpawnedServer> {
  const server = await spawnServer({ ...database?.env, LOG_LEVEL: 'warn' });
  servers.push(server);
  return server;
}

async function interact(baseUrl: string, tenantId: string, message: string): Promise<Response> {
  return fetch(`${baseUrl}/agent/interact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant_id: tenantId, message }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** Every stored interaction of a tenant, oldest first, following `next_cursor` through `before`. */
async function fullHistory(baseUrl: string, tenantId: string): Promise<{ message: string; response: string }[]> {
  const pages: { message: string; response: string }[][] = [];
  let before: string | null = null;
  for (;;) {
    const query = new URLSearchParams({ limit: '1000' });
    if (before !== null) query.set('before', before);
    const response = await fetch(`${baseUrl}/agent/history/${tenantId}?${query}`);
    if (response.status === 404 && pages.length === 0) return [];
    expect(response.status).toBe(200);
    const page = (await response.json()) as HistoryPage;
    expect(page.tenant_id).toBe(tenantId);
    pages.unshift(page.history);
    if (!page.has_more) break;
    expect(page.next_cursor).not.toBeNull();
    before = page.next_cursor;
  }
  return pages.flat();
}

/** Checks every acknowledged interaction is stored, with the exact reply the client got. */
async function verify(baseUrl: string, acknowledged: readonly Acknowledged[]) {
  const tenants = [...new Set(acknowledged.map((entry) => entry.tenantId))];
  const stored = new Map<string, Map<string, string>>();
  let storedTotal = 0;
  for (const tenantId of tenants) {
    const history = await fullHistory(baseUrl, tenantId);
    storedTotal += history.length;
    stored.set(tenantId, new Map(history.map((entry) => [entry.message, entry.response])));
    // Messages are unique, so a duplicated row would shrink the map.
    expect(stored.get(tenantId)?.size).toBe(history.length);
  }
  const lost = acknowledged.filter((entry) => stored.get(entry.tenantId)?.get(entry.message) !== entry.response);
  return { found: acknowledged.length - lost.length, lost, storedTotal };
}

for (const dialect of E2E_DIALECTS) {
  describe(`durability on ${dialect}: a process SIGKILLed right after a 200 loses nothing`, () => {
    beforeEach(async (context) => {
      dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-durability-'));
      database = await e2eDatabase(dialect, dir);
      if (!database) context.skip();
    });

    it('keeps a single acknowledged interaction across an immediate SIGKILL', async () => {
      const first = await start();
      const response = await interact(first.baseUrl, 'solo', 'remember me');
      expect(response.status).toBe(200);
      const body = (await response.json()) as { tenant_id: string; response: string };
      expect(body.response.startsWith("Agent response to 'remember me' with context: ")).toBe(true);
      const code = await first.stop('SIGKILL');
      expect(code).toBeNull();
      expect(first.process.signalCode).toBe('SIGKILL');

      const second = await start();
      const { found, lost } = await verify(second.baseUrl, [
        { tenantId: 'solo', message: 'remember me', response: body.response },
      ]);
      console.log(`${dialect} single: acknowledged 1, found ${found}, lost ${lost.length}`);
      expect(lost).toEqual([]);
    });

    it('keeps every acknowledged interaction when killed mid-load', async () => {
      const LOOPS = 8;
      const TENANTS = 4;
      const KILL_AFTER = 240;
      const server = await start();
      const acknowledged: Acknowledged[] = [];
      const order = new Map<number, string[]>();
      let killed = false;
      let inFlightAtKill = 0;
      let failedAfterKill = 0;
      let inFlight = 0;
      const exited = new Promise<void>((resolve) => server.process.once('exit', () => resolve()));

      const loop = async (index: number) => {
        const tenantId = `durable-${index % TENANTS}`;
        const sent: string[] = [];
        order.set(index, sent);
        for (let n = 0; !killed; n++) {
          const message = `loop ${index} request ${n}`;
          inFlight++;
          try {
            const response = await interact(server.baseUrl, tenantId, message);
            if (response.status !== 200) throw new Error(`unexpected ${response.status}: ${await response.text()}`);
            const body = (await response.json()) as { tenant_id: string; response: string };
            expect(body.tenant_id).toBe(tenantId);
            acknowledged.push({ tenantId, message, response: body.response });
            sent.push(message);
          } catch (error) {
            if (!killed) throw error;
            failedAfterKill++;
            return;
          } finally {
            inFlight--;
          }
          if (!killed && acknowledged.length >= KILL_AFTER) {
            killed = true;
            // The other loops are still awaiting their requests: kill while they are in flight.
            inFlightAtKill = inFlight;
            server.process.kill('SIGKILL');
          }
        }
      };

      await Promise.all(Array.from({ length: LOOPS }, (_, index) => loop(index)));
      await exited;
      expect(server.process.signalCode).toBe('SIGKILL');
      expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);

      const restarted = await start();
      const { found, lost, storedTotal } = await verify(restarted.baseUrl, acknowledged);
      console.log(
        `${dialect} mid-load: acknowledged ${acknowledged.length}, found ${found}, lost ${lost.length} ` +
          `(in flight at kill ${inFlightAtKill}, failed after kill ${failedAfterKill}, stored in total ${storedTotal})`,
      );
      expect(lost).toEqual([]);
      expect(found).toBe(acknowledged.length);

      // Each loop sends one request at a time, so its acknowledged messages keep their order in the history.
      for (const [index, sent] of order) {
        const history = await fullHistory(restarted.baseUrl, `durable-${index % TENANTS}`);
        const positions = sent.map((message) => history.findIndex((entry) => entry.message === message));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
      }

      // The restarted server keeps serving the same tenants.
      const after = await interact(restarted.baseUrl, 'durable-0', 'after restart');
      expect(after.status).toBe(200);
    });
  });
}
