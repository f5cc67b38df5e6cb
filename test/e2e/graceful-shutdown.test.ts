import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { E2E_DIALECTS, type E2eDatabase, e2eDatabase } from '../helpers/e2e-database.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { type SpawnedServer, spawnServer } from '../helpers/spawn-server.ts';

interface Outcome {
  status: number | null;
  body: string;
  error: string | null;
  /** Whether the response arrived after SIGTERM was sent. */
  finishedAfterSignal: boolean;
}

let dir: string;
let database: E2eDatabase | null = null;
let server: SpawnedServer | null = null;
let signalled = false;

afterEach(async () => {
  await server?.stop('SIGKILL');
  server = null;
  await database?.cleanup();
  database = null;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * POSTs one interaction on its own connection. `sent` resolves once the connection is established
 * and the whole request is in the kernel (see `rawRequest`; node:http's end callback can fire while
 * the connection is still opening, so it would not prove that the request reached the server).
 */
function interact(port: number, tenantId: string, message: string): { sent: Promise<void>; done: Promise<Outcome> } {
  const call = rawRequest(port, {
    method: 'POST',
    path: '/agent/interact',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant_id: tenantId, message }),
  });
  return { sent: call.sent, done: call.done.then((outcome) => ({ ...outcome, finishedAfterSignal: signalled })) };
}

/** The user messages the server has stored: a turn stores its message before calling the model. */
async function receivedMessages(): Promise<string[]> {
  const rows = (await database?.query("SELECT content FROM messages WHERE role = 'user'")) ?? [];
  return rows.map((row) =>
    (JSON.parse(String(row.content)) as { text?: string }[]).map((part) => part.text ?? '').join(''),
  );
}

/** Resolves once the server has stored `count` user messages (the test's timeout bounds the wait). */
async function untilReceived(count: number): Promise<void> {
  // Polled: nothing signals a stored row. Each look opens the database, so not in a tight loop.
  while ((await receivedMessages()).length < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Resolves with the first `/readyz` answer that is not 200: the server has handled the signal. */
async function untilNotReady(port: number): Promise<Response> {
  for (;;) {
    const readiness = await fetch(`http://127.0.0.1:${port}/readyz`);
    if (readiness.status !== 200) return readiness;
    await readiness.arrayBuffer();
  }
}

for (const dialect of E2E_DIALECTS) {
  describe(`graceful shutdown on ${dialect}: SIGTERM during load`, () => {
    beforeEach(async (context) => {
      dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-shutdown-'));
      signalled = false;
      database = await e2eDatabase(dialect, dir);
      if (!database) context.skip();
    });

    it('completes every request sent before SIGTERM with 200, fails readiness first, and exits with code 0', async () => {
      const REQUESTS = 240;
      const TENANTS = 6;
      // The drain delay keeps the listener open while readiness is off. Connections still in the
      // kernel's accept queue when it ends are accepted and served before the listener closes
      // (Node accepts one per loop turn, so a loaded server leaves many there).
      server = await spawnServer({ ...database?.env, LOG_LEVEL: 'warn', SHUTDOWN_DELAY_MS: '2000' });
      const { port } = server;
      const child = server.process;

      const messages = Array.from({ length: REQUESTS }, (_, index) => `accepted request ${index}`);
      const calls = messages.map((message, index) => interact(port, `shutdown-${index % TENANTS}`, message));
      await Promise.all(calls.map((call) => call.sent));
      // SIGTERM mid-load: once a third of the turns have started, while the rest are queued or running.
      await untilReceived(REQUESTS / 3);
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      signalled = true;
      child.kill('SIGTERM');
      // The signal is handled on the server's next loop turn, which a loaded machine may delay; the
      // drain delay starts only then, so readiness is seen failing while the listener is still open.
      const readiness = await untilNotReady(port);
      expect(readiness.status).toBe(503);
      expect(((await readiness.json()) as { code: string }).code).toBe('NOT_READY');

      const outcomes = await Promise.all(calls.map((call) => call.done));
      const [code, signal] = await exited;

      // Accepted = the server read the request and started its turn (its user message is stored).
      const received = new Set(await receivedMessages());
      const accepted = outcomes.filter((_, index) => received.has(messages[index] ?? ''));
      const failed = accepted.filter((outcome) => outcome.status !== 200);
      const inFlight = accepted.filter((outcome) => outcome.finishedAfterSignal).length;
      const notAccepted = outcomes.filter((_, index) => !received.has(messages[index] ?? ''));
      console.log(
        `${dialect}: sent ${REQUESTS}, accepted ${accepted.length}, ok ${accepted.length - failed.length}, failed ${failed.length}, ` +
          `in flight at SIGTERM ${inFlight}, not accepted ${notAccepted.length} ` +
          `(${[...new Set(notAccepted.map((outcome) => outcome.status ?? outcome.error))].join(', ')}), exit code ${code}`,
      );
      expect(accepted.length).toBeGreaterThanOrEqual(REQUESTS / 3);
      // Every request was on the wire before SIGTERM, so every one must succeed, not only the accepted ones.
      expect(outcomes.filter((outcome) => outcome.status !== 200)).toEqual([]);
      expect(
        failed.map(({ status, body, error }) => ({ status, body: body.slice(0, 200), error })),
        server.output(),
      ).toEqual([]);
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome.status !== 200) continue;
        // Every 200 was a real, stored turn.
        expect(received.has(messages[index] ?? '')).toBe(true);
        const body = JSON.parse(outcome.body) as { response: string };
        expect(body.response.startsWith(`Agent response to '${messages[index]}' with context: `)).toBe(true);
      }
      expect(signal).toBeNull();
      expect(code).toBe(0);
    });

    it('refuses new connections once it has shut down', async () => {
      server = await spawnServer({ ...database?.env, LOG_LEVEL: 'warn' });
      const { port } = server;
      const first = await interact(port, 'late', 'before shutdown').done;
      expect(first.status).toBe(200);
      expect(await server.stop('SIGTERM')).toBe(0);
      const late = await interact(port, 'late', 'after shutdown').done;
      expect(late.status).toBeNull();
      expect(late.error).toMatch(/ECONNREFUSED/);
    });
  });
}
