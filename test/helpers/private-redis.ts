import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { reachable } from './reachable.ts';

const REDIS_SERVER = '/usr/bin/redis-server';

/** A redis-server of a test's own on a loopback port, which the test stops and starts again (empty). */
export interface PrivateRedis {
  url: string;
  /** Kills the server (SIGKILL: no goodbye to clients) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence), and waits until it accepts connections. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and commands are accepted but never answered. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT); it then answers what it was sent meanwhile. */
  resume(): void;
}

/**
 * Starts a private redis-server, or returns null (with a printed notice) when the binary is absent.
 * Under CI=true an absent binary is an error: the outage tests are required there.
 */
export async function privateRedis(): Promise<PrivateRedis | null> {
  if (!existsSync(REDIS_SERVER)) {
    if (process.env.CI === 'true') throw new Error(`${REDIS_SERVER} is required in CI for the Redis outage tests`);
    console.warn(`[skip] Redis outage tests: ${REDIS_SERVER} is not installed`);
    return null;
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    const started = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = started;
    // A worker that dies before its afterAll must not leave the server behind.
    const stop = () => started.kill('SIGKILL');
    process.once('exit', stop);
    started.once('exit', () => process.removeListener('exit', stop));
    // Bounded: 200 tries, 25 ms apart.
    for (let attempt = 0; attempt < 200; attempt++) {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`);
      if (await reachable(new URL(url), port, 200)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`redis-server did not listen on ${url}`);
  }

  async function kill(): Promise<void> {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  await start();
  const signal = (name: NodeJS.Signals) => () => {
    (child as ChildProcess | null)?.kill(name);
  };
  return { url, kill, start, pause: signal('SIGSTOP'), resume: signal('SIGCONT') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
