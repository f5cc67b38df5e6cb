import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from '../helpers/in-process-server.ts';
import { type CliRun, runCliInProcess } from '../helpers/run-cli.ts';
import { ROOT } from '../helpers/spawn-server.ts';

type Run = CliRun;

let dir: string;
let databaseUrl: string;

/** Runs `file args…` from the repo root against the temporary database and resolves with its exit code and output. */
function run(file: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env },
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI's code in process (the binary itself is run by the tests at the end). */
const enclave = (...args: string[]): Promise<Run> =>
  runCliInProcess(args, { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-cli-'));
  databaseUrl = `sqlite:${join(dir, 'enclave.db')}`;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// The tests share one database file and run in order: each builds on the previous one.
describe('enclave CLI', () => {
  it('migrate applies the schema, then is idempotent', async () => {
    const first = await enclave('migrate');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^Applied \d+ \S+/m);
    const second = await enclave('migrate');
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toMatch(/Database is up to date \(version \d+\)/);
    const json = await enclave('migrate', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ applied: [] });
  });

  it('creates, lists and refuses to recreate a tenant', async () => {
    const created = await enclave('tenants', 'create', 'acme', '--name', 'Acme');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('Created tenant acme');

    const list = await enclave('tenants', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^id\s+name\s+created_at$/m);
    expect(list.stdout).toMatch(/^acme\s+Acme\s+\d{4}-\d\d-\d\dT/m);

    const json = await enclave('tenants', 'list', '--json');
    expect(json.code).toBe(0);
    const tenants = (JSON.parse(json.stdout) as { data: { id: string; name: string }[] }).data;
    expect(tenants.map(({ id, name }) => ({ id, name }))).toEqual([{ id: 'acme', name: 'Acme' }]);

    const again = await enclave('tenants', 'create', 'acme');
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim()).toBe('Tenant acme already exists');

    const invalid = await enclave('tenants', 'create', '-bad id');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^Usage:\n {2}enclave tenants /m);
  });

  it('lists sessions and shows history written by a running server on the same file', async () => {
    const empty = await enclave('sessions', 'list', '--tenant', 'acme');
    expect(empty).toMatchObject({ code: 0, stdout: '(none)\n' });

    const server = await startInProcessServer({ DATABASE_URL: databaseUrl });
    try {
      for (const message of ['first note', 'second note', 'third note']) {
        const response = await fetch(`${server.baseUrl}/agent/interact`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant_id: 'acme', message }),
        });
        expect(response.status).toBe(200);
      }
      // Read while the server still holds the database open (WAL allows it).
      const history = await enclave('history', 'acme');
      expect(history).toMatchObject({ code: 0, stderr: '' });
      expect(history.stdout).toContain("> first note\nAgent response to 'first note' with context: ");
      expect(history.stdout.indexOf('> second note')).toBeGreaterThan(history.stdout.indexOf('> first note'));
    } finally {
      await server.stop();
    }

    const page = await enclave('history', 'acme', '--limit', '2', '--json');
    expect(page.code).toBe(0);
    const newest = JSON.parse(page.stdout) as {
      tenant_id: string;
      history: { message: string }[];
      has_more: boolean;
      next_cursor: string;
    };
    expect(newest.history.map((entry) => entry.message)).toEqual(['second note', 'third note']);
    expect(newest.has_more).toBe(true);
    const older = await enclave('history', 'acme', '--limit', '2', '--before', newest.next_cursor, '--json');
    const oldest = (JSON.parse(older.stdout) as { history: { message: string; response: string }[] }).history;
    expect(oldest.map(({ message, response }) => ({ message, response }))).toEqual([
      { message: 'first note', response: "Agent response to 'first note' with context: " },
    ]);

    const human = await enclave('history', 'acme', '--limit', '2');
    expect(human.stdout).toContain(`(older interactions: --before ${newest.next_cursor})`);

    const sessions = await enclave('sessions', 'list', '--tenant', 'acme');
    expect(sessions.code).toBe(0);
    expect(sessions.stdout).toMatch(/^id\s+title\s+messages\s+forked_from\s+updated_at$/m);
    expect(sessions.stdout).toContain('Legacy interactions');

    const missing = await enclave('history', 'nobody');
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'Tenant not found\n' });
  });

  it('deletes a tenant only with --yes', async () => {
    const refused = await enclave('tenants', 'delete', 'acme');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Deleting tenant acme removes all its data; add --yes');
    expect((await enclave('tenants', 'list')).stdout).toMatch(/^acme\s/m);

    const deleted = await enclave('tenants', 'delete', 'acme', '--yes');
    expect(deleted).toMatchObject({ code: 0, stderr: '' });
    expect(deleted.stdout).toContain('Deleted tenant acme');
    expect(await enclave('tenants', 'list')).toMatchObject({ code: 0, stdout: '(none)\n' });
    expect((await enclave('history', 'acme')).code).toBe(1);

    const gone = await enclave('tenants', 'delete', 'acme', '--yes');
    expect(gone).toMatchObject({ code: 1, stderr: 'Tenant not found\n' });
  });

  it('rejects an unknown command with usage (exit 2) and bad config naming the variable (exit 1)', async () => {
    const unknown = await enclave('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command: frobnicate');
    expect(unknown.stderr).toContain('Usage: enclave <command> [options]');

    const badPort = await enclave('tenants', 'list', '--port', 'abc');
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/Invalid configuration:\n\s+PORT \(--port\):/);

    const badEnv = await runCliInProcess(['tenants', 'list'], { DATABASE_URL: databaseUrl, PORT: 'abc' });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toContain('PORT (--port)');

    const help = await enclave('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}tenants +List, create, delete/m);
    expect((await enclave('tenants', '--help')).stdout).toContain('enclave tenants delete <id> --yes');
    expect((await enclave('-h')).stdout).toBe(help.stdout);
  });

  it('writes the OpenAPI document the server serves, to stdout or a file', async () => {
    const printed = await enclave('openapi');
    expect(printed).toMatchObject({ code: 0, stderr: '' });
    const document = JSON.parse(printed.stdout) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/v1/sessions');
    const file = join(dir, 'openapi.json');
    const written = await enclave('openapi', '--out', file);
    expect(written).toMatchObject({ code: 0, stdout: `Wrote the OpenAPI document to ${file}\n` });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(document);
  });

  it('runs as the `enclave` binary and as `node src/cli/main.ts`', async () => {
    const help = await run(process.execPath, ['src/cli/enclave.js', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: enclave <command> [options]');
    const usage = await run(process.execPath, ['src/cli/main.ts', 'tenants', 'frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('tenants needs one of');
  });

  it('works through `npm run enclave`', async () => {
    const result = await run('npm', ['run', 'enclave', '--silent', '--', 'tenants', 'list', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ data: [] });
  });

  it('rejects a bad --limit as a usage error and an unknown tenant for sessions list', async () => {
    for (const limit of ['abc', '-5', '0', '1.5']) {
      const result = await enclave('history', 'acme', '--limit', limit);
      expect(result.code, limit).toBe(2);
      expect(result.stderr).toContain('--limit must be a whole number');
    }
    const unknown = await enclave('sessions', 'list', '--tenant', 'nobody-here');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Tenant not found');
  });
});
