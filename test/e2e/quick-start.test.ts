import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { freePort, ROOT } from '../helpers/spawn-server.ts';

let dir: string;
let child: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-quick-start-'));
});

afterEach(() => {
  // `npm start` runs `sh -c node …`: kill the whole process group so nothing outlives the test.
  if (child?.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('README quick start', () => {
  it('`npm start` serves /agent/interact, then exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const database = join(dir, 'enclave.db');
    // detached: its own process group, like a foreground job in a terminal or a container's processes.
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, DATABASE_URL: `sqlite:${database}`, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = npm;
    let output = '';
    npm.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    npm.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = once(npm, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    let reply: { tenant_id: string; response: string } | null = null;
    await until(async () => {
      if (npm.exitCode !== null) throw new Error(`npm start exited early (${npm.exitCode}):\n${output}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/agent/interact`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant_id: 'quick-start', message: 'Hello, Enclave!' }),
        });
        expect(response.status).toBe(200);
        reply = (await response.json()) as { tenant_id: string; response: string };
        return true;
      } catch (error) {
        if (error instanceof TypeError) return false; // not listening yet
        throw error;
      }
    }, `POST /agent/interact to answer 200\n${output}`);
    expect(reply).toEqual({
      tenant_id: 'quick-start',
      response: "Agent response to 'Hello, Enclave!' with context: ",
    });

    const logs = () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; pid: number; msg: string; signal?: string });
    const serverPid = logs().find((entry) => entry.msg === 'Enclave is serving')?.pid;
    expect(serverPid).toBeTypeOf('number');

    process.kill(-(npm.pid as number), 'SIGTERM');
    const [code, signal] = await exited;
    await until(() => !alive(serverPid as number), 'the server process to exit');

    // The server itself shut down gracefully: it logged the signal, no error, and closed SQLite
    // properly (a clean close checkpoints and removes the WAL file; a crash leaves it behind).
    expect(logs()).toContainEqual(expect.objectContaining({ signal: 'SIGTERM', pid: serverPid }));
    expect(logs().filter((entry) => entry.level >= 50)).toEqual([]);
    // Loopback default: authentication is off, and the server says so at start.
    expect(logs()).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringContaining('authentication is disabled') }),
    );
    expect(existsSync(database)).toBe(true);
    expect(existsSync(`${database}-wal`)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow(TypeError);
    // npm reports the exit of `sh -c`, which dies of the same SIGTERM before the server finishes.
    expect(code === 0 || signal === 'SIGTERM', `npm exited with code ${code}, signal ${signal}`).toBe(true);
  });

  it('defaults DATABASE_URL to sqlite:./data/enclave.db', () => {
    expect(loadConfig({}).databaseUrl).toBe('sqlite:./data/enclave.db');
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBe('sqlite:./data/enclave.db');
    expect(loadConfig({}, ['--database-url', 'sqlite:/tmp/x.db']).databaseUrl).toBe('sqlite:/tmp/x.db');
    expect(loadConfig({})).toMatchObject({ port: 8000, host: '127.0.0.1' });
  });
});
