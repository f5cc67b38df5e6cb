import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type E2eDatabase, e2eDatabase } from '../helpers/e2e-database.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { type SpawnedServer, spawnServer } from '../helpers/spawn-server.ts';

let dir: string;
let database: E2eDatabase | null = null;
let server: SpawnedServer | null = null;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-drain-'));
  database = await e2eDatabase('sqlite', dir);
});
afterEach(async () => {
  if (server) {
    server.process.kill('SIGCONT');
    await server.stop('SIGKILL');
  }
  server = null;
  database = null;
  rmSync(dir, { recursive: true, force: true });
});

/** A legacy interaction on a connection of its own (see `rawRequest` for when it counts as sent). */
function interact(port: number, message: string) {
  return rawRequest(port, {
    method: 'POST',
    path: '/agent/interact',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant_id: 'drain', message }),
  });
}

/** Resolves once the server reports NOT_READY: it has handled the signal and is draining. */
async function untilDraining(baseUrl: string): Promise<void> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const readiness = await fetch(`${baseUrl}/readyz`);
    await readiness.arrayBuffer();
    if (readiness.status === 503) return;
  }
  throw new Error('the server never reported NOT_READY');
}

/** One keep-alive connection, written by hand, that can send several requests and see the server close it. */
async function keepAliveConnection(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  socket.setEncoding('utf8');
  let received = '';
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: string) => {
    received += chunk;
    waiter?.();
  });
  const closedByServer = once(socket, 'end').then(() => true);
  return {
    closedByServer,
    /** Sends `GET /healthz` and resolves with the head of its answer once the whole answer has arrived. */
    async get(): Promise<string> {
      received = '';
      socket.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`);
      while (!/\r\n\r\n[\s\S]*"status":"ok"/.test(received)) {
        await new Promise<void>((resolve) => {
          waiter = resolve;
        });
      }
      return received.split('\r\n\r\n')[0]?.toLowerCase() ?? '';
    },
    destroy: () => socket.destroy(),
  };
}

describe('SIGTERM and the connections the server holds', () => {
  it('serves every request that was waiting in the accept queue when the drain ended, and exits 0', async () => {
    server = await spawnServer({ ...database?.env, LOG_LEVEL: 'warn', SHUTDOWN_DELAY_MS: '0' });
    const { port } = server;
    const child = server.process;
    // Stopped, the server accepts nothing: the connections wait in the kernel's accept queue with
    // their requests in its buffers, as they do behind a busy event loop. SIGTERM arrives before
    // the server has accepted any of them.
    child.kill('SIGSTOP');
    const calls = Array.from({ length: 20 }, (_, index) => interact(port, `queued ${index}`));
    await Promise.all(calls.map((call) => call.sent));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    const outcomes = await Promise.all(calls.map((call) => call.done));
    expect(outcomes.filter((outcome) => outcome.status !== 200)).toEqual([]);
    for (const [index, outcome] of outcomes.entries()) {
      expect(JSON.parse(outcome.body).response).toMatch(new RegExp(`^Agent response to 'queued ${index}'`));
    }
    expect((await exited)[0]).toBe(0);
  });

  it('during the drain delay answers on a reused keep-alive connection with Connection: close, then closes it', async () => {
    // A long delay: the test ends it with SIGKILL once it has seen what it checks.
    server = await spawnServer({ ...database?.env, LOG_LEVEL: 'warn', SHUTDOWN_DELAY_MS: '120000' });
    const connection = await keepAliveConnection(server.port);
    try {
      expect(await connection.get()).toContain('connection: keep-alive');
      server.process.kill('SIGTERM');
      await untilDraining(server.baseUrl);
      // The request is served, and tells the client not to send another on this connection…
      const head = await connection.get();
      expect(head).toMatch(/^http\/1\.1 200/);
      expect(head).toContain('connection: close');
      // …which the server then closes itself, after the answer: no later request can be reset on it.
      expect(await connection.closedByServer).toBe(true);
    } finally {
      connection.destroy();
    }
  });
});
