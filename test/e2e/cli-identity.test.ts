import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/core/audit/audit-entry.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { type InProcessServer, startInProcessServer } from '../helpers/in-process-server.ts';
import { type CliRun as Run, runCliInProcess } from '../helpers/run-cli.ts';

let dir: string;
let databaseUrl: string;

/** Runs the CLI's code in process against the temporary database. */
const enclave = (...args: string[]): Promise<Run> =>
  runCliInProcess(args, { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });

/** Runs the CLI with `--json` and parses stdout (failing with stderr when it did not succeed). */
async function enclaveJson<T>(...args: string[]): Promise<T> {
  const result = await enclave(...args, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Reads audit entries straight from the database (tenant '' holds platform actions). */
async function audit(tenantId: string): Promise<AuditEntry[]> {
  const { storage } = await createStorage({ databaseUrl, sqliteSynchronous: 'NORMAL', migrate: false });
  try {
    return (await storage.listAudit(tenantId, { limit: 1000, beforeId: null })).reverse();
  } finally {
    await storage.close();
  }
}

const expectUsageError = (result: Run, message: string) => {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain(message);
  // The usage of the command that was misused, not the whole list.
  expect(result.stderr).toMatch(/^Usage:\n {2}enclave [a-z-]+ /m);
};

interface KeyJson {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
  key?: string;
}

interface NdjsonLine {
  table: string;
  row: Record<string, unknown>;
}

const parseNdjson = (text: string): NdjsonLine[] =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as NdjsonLine);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-cli-identity-'));
  databaseUrl = `sqlite:${join(dir, 'enclave.db')}`;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// The tests share one database file and run in order: each builds on the previous one.
describe('enclave CLI: identity, usage, export and erasure', () => {
  let chatKey: KeyJson & { key: string };
  let readKey: KeyJson & { key: string };
  let sessionId: string;

  it('audits tenant create and suspends/resumes a tenant', async () => {
    expect(await enclave('tenants', 'create', 'acme', '--name', 'Acme')).toMatchObject({ code: 0, stderr: '' });
    expect(await enclave('tenants', 'create', 'other')).toMatchObject({ code: 0 });

    const suspended = await enclave('tenants', 'suspend', 'acme');
    expect(suspended).toMatchObject({ code: 0, stdout: 'Suspended tenant acme\n', stderr: '' });
    expect(await enclave('tenants', 'suspend', 'acme')).toMatchObject({
      code: 0,
      stdout: 'Tenant acme is already suspended\n',
    });
    const listed = await enclaveJson<{ data: { id: string; status: string }[] }>('tenants', 'list');
    expect(listed.data.find((tenant) => tenant.id === 'acme')?.status).toBe('suspended');

    const resumed = await enclaveJson<{ id: string; status: string }>('tenants', 'resume', 'acme');
    expect(resumed).toMatchObject({ id: 'acme', status: 'active' });

    expect(await enclave('tenants', 'suspend', 'nobody')).toMatchObject({ code: 1, stderr: 'Tenant not found\n' });
    expect(await enclave('tenants', 'resume', 'nobody')).toMatchObject({ code: 1, stderr: 'Tenant not found\n' });
    expectUsageError(await enclave('tenants', 'suspend'), 'tenants suspend needs a valid tenant id');
    expectUsageError(await enclave('tenants', 'frobnicate'), 'tenants needs one of');

    const entries = await audit('acme');
    expect(entries.map(({ actor, action, target, requestId }) => ({ actor, action, target, requestId }))).toEqual([
      { actor: 'cli', action: 'tenant.create', target: 'acme', requestId: null },
      { actor: 'cli', action: 'tenant.suspend', target: 'acme', requestId: null },
      { actor: 'cli', action: 'tenant.resume', target: 'acme', requestId: null },
    ]);
    expect(entries[0]?.details).toEqual({ name: 'Acme' });
    expect(entries[1]?.details).toEqual({ status: 'suspended' });
  });

  it('creates API keys, printing the key once, with validated scopes and expiry', async () => {
    const human = await enclave('keys', 'create', '--tenant', 'acme', '--name', 'ci');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Created API key key_\w+ for tenant acme$/m);
    expect(human.stdout).toMatch(/^ {2}key: +enc_[0-9A-Za-z]{38}$/m);
    expect(human.stdout).toMatch(/^ {2}scopes: +chat, history:read, config:write, keys:manage$/m);
    expect(human.stdout).toMatch(/^ {2}expires_at: +never$/m);
    expect(human.stderr).toContain('shown only once');

    chatKey = await enclaveJson('keys', 'create', '--tenant', 'acme', '--name', 'chat', '--scopes', 'chat');
    expect(chatKey).toMatchObject({ tenant_id: 'acme', name: 'chat', scopes: ['chat'], expires_at: null });
    expect(chatKey.key).toMatch(/^enc_[0-9A-Za-z]{38}$/);
    expect(chatKey.key.startsWith(chatKey.prefix)).toBe(true);
    expect(chatKey.id).toMatch(/^key_/);

    readKey = await enclaveJson(
      'keys',
      'create',
      '--tenant',
      'acme',
      '--name',
      'reader',
      '--scopes',
      'history:read, chat,history:read',
      '--expires',
      '2099-06-30T12:00:00+02:00',
    );
    // Deduplicated, in canonical order, expiry normalised to UTC.
    expect(readKey).toMatchObject({ scopes: ['chat', 'history:read'], expires_at: '2099-06-30T10:00:00.000Z' });

    const dateOnly = await enclaveJson<KeyJson>('keys', 'create', '--tenant', 'other', '--expires', '2099-01-01');
    expect(dateOnly.expires_at).toBe('2099-01-01T00:00:00.000Z');

    expectUsageError(
      await enclave('keys', 'create', '--tenant', 'acme', '--scopes', 'chat,admin'),
      'Unknown scope admin',
    );
    expectUsageError(await enclave('keys', 'create', '--tenant', 'acme', '--scopes', ','), 'at least one scope');
    expectUsageError(await enclave('keys', 'create', '--tenant', 'acme', '--expires', '2020-01-01'), 'in the future');
    for (const bad of ['tomorrow', '2099-02-30', '2099-01-01T00:00:00', '2099-01-01T25:00:00Z', '']) {
      expectUsageError(await enclave('keys', 'create', '--tenant', 'acme', '--expires', bad), '--expires must be');
    }
    expectUsageError(await enclave('keys', 'create'), 'keys create --tenant needs a valid tenant id');
    expectUsageError(await enclave('keys', 'rotate', '--tenant', 'acme'), 'keys needs one of');

    const unknown = await enclave('keys', 'create', '--tenant', 'nobody');
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'Tenant not found\n' });

    const entries = (await audit('acme')).filter((entry) => entry.action === 'key.create');
    expect(entries.map((entry) => entry.target)).toEqual([expect.stringMatching(/^key_/), chatKey.id, readKey.id]);
    expect(entries[1]).toMatchObject({
      actor: 'cli',
      details: { name: 'chat', prefix: chatKey.prefix, scopes: ['chat'], expires_at: null },
    });
    expect(JSON.stringify(entries)).not.toContain(chatKey.key);
  });

  it('lists keys without ever showing a key or its hash', async () => {
    const table = await enclave('keys', 'list', '--tenant', 'acme');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^id\s+name\s+prefix\s+scopes\s+expires_at\s+last_used_at\s+revoked_at$/m);
    expect(table.stdout).toMatch(new RegExp(`^${chatKey.id}\\s+chat\\s+${chatKey.prefix}\\s+chat$`, 'm'));
    expect(table.stdout).toContain('2099-06-30T10:00:00.000Z');
    expect(table.stdout).not.toContain(chatKey.key);

    const json = await enclaveJson<{ data: KeyJson[] }>('keys', 'list', '--tenant', 'acme');
    expect(json.data.map((key) => key.name)).toEqual(['ci', 'chat', 'reader']);
    for (const key of json.data) {
      expect(Object.keys(key).sort()).toEqual(
        [
          'created_at',
          'expires_at',
          'id',
          'last_used_at',
          'name',
          'prefix',
          'revoked_at',
          'scopes',
          'tenant_id',
        ].sort(),
      );
    }
    expect(JSON.stringify(json)).not.toContain(chatKey.key);

    expect((await enclaveJson<{ data: KeyJson[] }>('keys', 'list', '--tenant', 'other')).data).toHaveLength(1);
    expect(await enclave('keys', 'list', '--tenant', 'nobody')).toMatchObject({
      code: 1,
      stderr: 'Tenant not found\n',
    });
    expectUsageError(await enclave('keys', 'list'), 'keys list --tenant needs a valid tenant id');
  });

  it('manages admin keys', async () => {
    const created = await enclave('admin-key', 'create', '--name', 'ops');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Created admin key adm_\w+$/m);
    expect(created.stdout).toMatch(/^ {2}key: enc_[0-9A-Za-z]{38}$/m);
    expect(created.stderr).toContain('shown only once');

    const json = await enclaveJson<{ id: string; name: string; key: string; revoked_at: null }>(
      'admin-key',
      'create',
      '--name',
      'deploy',
    );
    expect(json).toMatchObject({ name: 'deploy', revoked_at: null });
    expect(json.key).toMatch(/^enc_[0-9A-Za-z]{38}$/);

    const table = await enclave('admin-key', 'list');
    expect(table.stdout).toMatch(/^id\s+name\s+created_at\s+revoked_at$/m);
    expect(table.stdout).toMatch(new RegExp(`^${json.id}\\s+deploy\\s+\\d{4}-`, 'm'));
    expect(table.stdout).not.toContain(json.key);
    const listed = await enclaveJson<{ data: { id: string; name: string }[] }>('admin-key', 'list');
    expect(listed.data.map((key) => key.name)).toEqual(['ops', 'deploy']);
    expect(JSON.stringify(listed)).not.toContain(json.key);

    const revoked = await enclave('admin-key', 'revoke', json.id);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked admin key ${json.id}\n` });
    const again = await enclave('admin-key', 'revoke', json.id);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already revoked');
    expect(await enclave('admin-key', 'revoke', 'adm_nope')).toMatchObject({
      code: 1,
      stderr: 'Admin key adm_nope not found\n',
    });
    expectUsageError(await enclave('admin-key', 'revoke'), 'admin-key revoke needs a key id');
    expectUsageError(await enclave('admin-key'), 'admin-key needs one of');

    const entries = await audit('');
    expect(entries.map(({ tenantId, actor, action }) => ({ tenantId, actor, action }))).toEqual([
      { tenantId: '', actor: 'cli', action: 'admin_key.create' },
      { tenantId: '', actor: 'cli', action: 'admin_key.create' },
      { tenantId: '', actor: 'cli', action: 'admin_key.revoke' },
    ]);
    expect(entries[2]).toMatchObject({ target: json.id, details: { name: 'deploy' } });
    expect(JSON.stringify(entries)).not.toContain(json.key);
  });

  describe('against a server with ENCLAVE_AUTH=required', () => {
    let server: InProcessServer;
    const interact = (key: string | null, body: Record<string, unknown> = { tenant_id: 'acme', message: 'hi' }) =>
      fetch(`${server.baseUrl}/agent/interact`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify(body),
      });

    beforeAll(async () => {
      server = await startInProcessServer({ DATABASE_URL: databaseUrl, ENCLAVE_AUTH: 'required' });
    });

    afterAll(async () => {
      await server.stop();
    });

    it('accepts a created key, enforces its scopes and refuses it once revoked', async () => {
      expect((await interact(null)).status).toBe(401);
      const ok = await interact(chatKey.key, { tenant_id: 'acme', message: 'hello with a key' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ tenant_id: 'acme' });
      // A key of acme cannot act for another tenant.
      expect((await interact(chatKey.key, { tenant_id: 'other', message: 'x' })).status).toBe(403);

      // A session for an end user, with one turn in it (erased later).
      const created = await fetch(`${server.baseUrl}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${chatKey.key}` },
        body: JSON.stringify({ user_id: 'user-1', title: 'to be erased' }),
      });
      expect(created.status).toBe(201);
      sessionId = ((await created.json()) as { id: string }).id;
      const turn = await fetch(`${server.baseUrl}/v1/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${chatKey.key}` },
        body: JSON.stringify({ content: 'remember me' }),
      });
      expect(turn.status).toBe(200);

      // The chat-only key cannot read history; the reader key can.
      const sessions = (key: string) =>
        fetch(`${server.baseUrl}/v1/sessions`, { headers: { authorization: `Bearer ${key}` } });
      expect((await sessions(chatKey.key)).status).toBe(403);
      expect((await sessions(readKey.key)).status).toBe(200);

      const revoked = await enclave('keys', 'revoke', chatKey.id, '--tenant', 'acme');
      expect(revoked).toMatchObject({ code: 0, stderr: '' });
      expect(revoked.stdout).toContain(`Revoked API key ${chatKey.id}`);
      // Another process revoked it: the server sees it within its short credential cache TTL.
      // Polled with a read (403 for this chat-only key while it is valid), so no extra turn is recorded.
      const readWith = async (key: string) =>
        (
          await fetch(`${server.baseUrl}/v1/sessions`, {
            headers: { authorization: `Bearer ${key}`, 'tenant-id': 'other' },
          })
        ).status;
      await expect.poll(() => readWith(chatKey.key), { timeout: 10_000 }).toBe(401);
      const refused = await interact(chatKey.key);
      expect(await refused.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((await interact(readKey.key)).status).toBe(200);
    });

    it('refuses a suspended tenant until it is resumed', async () => {
      // Polled with a read, so no turn (and no usage) is recorded while the change propagates.
      const listSessions = async () =>
        (await fetch(`${server.baseUrl}/v1/sessions`, { headers: { authorization: `Bearer ${readKey.key}` } })).status;
      expect((await enclave('tenants', 'suspend', 'acme')).code).toBe(0);
      // Other processes see the change within the server's short tenant cache TTL.
      await expect.poll(listSessions, { timeout: 10_000 }).toBe(403);
      const refused = await interact(readKey.key);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'TENANT_SUSPENDED' });
      expect((await enclave('tenants', 'resume', 'acme')).code).toBe(0);
      await expect.poll(listSessions, { timeout: 10_000 }).toBe(200);
      expect((await interact(readKey.key)).status).toBe(200);
    });

    it('accepts a CLI-created admin key for any tenant until it is revoked', async () => {
      const admin = await enclaveJson<{ id: string; key: string }>('admin-key', 'create', '--name', 'e2e');
      expect((await interact(admin.key, { tenant_id: 'other', message: 'as admin' })).status).toBe(200);
      expect((await enclave('admin-key', 'revoke', admin.id)).code).toBe(0);
      const asAdmin = async () =>
        (
          await fetch(`${server.baseUrl}/v1/sessions`, {
            headers: { authorization: `Bearer ${admin.key}`, 'tenant-id': 'other' },
          })
        ).status;
      await expect.poll(asAdmin, { timeout: 10_000 }).toBe(401);
    });
  });

  it('revokes keys: unknown and already-revoked keys, and the audit trail', async () => {
    const listed = await enclaveJson<{ data: KeyJson[] }>('keys', 'list', '--tenant', 'acme');
    const chat = listed.data.find((key) => key.id === chatKey.id);
    expect(chat?.revoked_at).toMatch(/^\d{4}-/);
    expect(chat?.last_used_at).toMatch(/^\d{4}-/);
    expect(listed.data.find((key) => key.id === readKey.id)?.revoked_at).toBeNull();

    const again = await enclave('keys', 'revoke', chatKey.id, '--tenant', 'acme');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already revoked');
    expect(await enclave('keys', 'revoke', 'key_nope', '--tenant', 'acme')).toMatchObject({
      code: 1,
      stderr: 'API key key_nope not found for tenant acme\n',
    });
    // Keys are per tenant: acme's key is not found under another tenant.
    expect((await enclave('keys', 'revoke', readKey.id, '--tenant', 'other')).code).toBe(1);
    expect(await enclave('keys', 'revoke', readKey.id, '--tenant', 'nobody')).toMatchObject({
      code: 1,
      stderr: 'Tenant not found\n',
    });
    expectUsageError(await enclave('keys', 'revoke', '--tenant', 'acme'), 'keys revoke needs a key id');

    const revokes = (await audit('acme')).filter((entry) => entry.action === 'key.revoke');
    expect(revokes).toHaveLength(1);
    expect(revokes[0]).toMatchObject({ actor: 'cli', target: chatKey.id, details: { name: 'chat' } });
  });

  it('aggregates usage by day, by model, or both', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const byDay = await enclave('usage', '--tenant', 'acme');
    expect(byDay.code, byDay.stderr).toBe(0);
    expect(byDay.stdout).toMatch(/^day\s+turns\s+input_tokens\s+output_tokens\s+total_tokens\s+tool_calls$/m);
    // acme ran four turns: two with the chat key, two with the reader key.
    expect(byDay.stdout).toMatch(new RegExp(`^${today}\\s+4\\s+\\d+`, 'm'));
    expect(byDay.stdout).toMatch(/^Total: 4 turns, \d+ tokens$/m);

    interface UsageJson {
      from: string;
      to: string;
      group_by: string[];
      data: { day?: string; model?: string; turns: number; total_tokens: number }[];
    }
    const both = await enclaveJson<UsageJson>('usage', '--tenant', 'acme', '--by', 'model,day');
    expect(both.group_by).toEqual(['day', 'model']);
    expect(both.to).toBe(today);
    expect(Date.parse(both.to) - Date.parse(both.from)).toBe(29 * 86_400_000);
    expect(both.data.reduce((sum, row) => sum + row.turns, 0)).toBe(4);
    expect(both.data[0]).toMatchObject({ day: today, model: expect.any(String) });

    const byModel = await enclaveJson<UsageJson>('usage', '--tenant', 'acme', '--by', 'model');
    expect(byModel.data[0]).not.toHaveProperty('day');
    expect(byModel.data[0]?.total_tokens).toBeGreaterThan(0);

    const past = await enclaveJson<UsageJson>(
      'usage',
      '--tenant',
      'acme',
      '--from',
      '2020-01-01',
      '--to',
      '2020-01-31',
    );
    expect(past).toMatchObject({ from: '2020-01-01', to: '2020-01-31', data: [] });
    expect((await enclave('usage', '--tenant', 'other', '--to', '2020-01-31')).stdout).toContain(
      'from 2020-01-02 to 2020-01-31',
    );

    expectUsageError(await enclave('usage', '--tenant', 'acme', '--from', '2025-02-30'), '--from must be a date');
    expectUsageError(await enclave('usage', '--tenant', 'acme', '--to', 'today'), '--to must be a date');
    expectUsageError(
      await enclave('usage', '--tenant', 'acme', '--from', '2025-02-01', '--to', '2025-01-01'),
      'must not be after --to',
    );
    expectUsageError(
      await enclave('usage', '--tenant', 'acme', '--by', 'week'),
      '--by must be day, model or day,model',
    );
    expectUsageError(await enclave('usage'), 'usage --tenant needs a valid tenant id');
    expect(await enclave('usage', '--tenant', 'nobody')).toMatchObject({ code: 1, stderr: 'Tenant not found\n' });
  });

  it('exports a tenant as NDJSON to stdout or a file', async () => {
    const result = await enclave('export', 'acme');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = parseNdjson(result.stdout);
    expect(lines[0]).toMatchObject({ table: 'tenants', row: { id: 'acme', name: 'Acme' } });
    const tables = new Set(lines.map((line) => line.table));
    for (const table of ['tenants', 'api_keys', 'sessions', 'messages', 'usage_records', 'audit_log']) {
      expect(tables, table).toContain(table);
    }
    expect(lines.every((line) => line.row.tenant_id === 'acme' || line.table === 'tenants')).toBe(true);
    expect(lines.some((line) => line.table === 'sessions' && line.row.id === sessionId)).toBe(true);
    expect(
      lines.some((line) => line.table === 'messages' && String(line.row.content).includes('hello with a key')),
    ).toBe(true);
    expect(lines.some((line) => line.table === 'audit_log' && line.row.action === 'key.create')).toBe(true);
    const keyRows = lines.filter((line) => line.table === 'api_keys');
    expect(keyRows).toHaveLength(3);
    for (const { row } of keyRows) expect(row).not.toHaveProperty('hash');
    expect(result.stdout).not.toContain(readKey.key);

    const file = join(dir, 'acme.ndjson');
    const toFile = await enclave('export', 'acme', '--out', file);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(toFile.stdout).toMatch(/^Exported \d+ rows of tenant acme to /m);
    expect(toFile.stdout).toMatch(/^messages\s+\d+$/m);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const fromFile = parseNdjson(readFileSync(file, 'utf8'));
    expect(fromFile.filter((line) => line.table === 'messages')).toHaveLength(
      lines.filter((line) => line.table === 'messages').length,
    );
    expect(existsSync(`${file}.partial`)).toBe(false);

    const json = await enclaveJson<{ tenant_id: string; rows: Record<string, number> }>(
      'export',
      'acme',
      '--out',
      join(dir, 'acme2.ndjson'),
    );
    expect(json.rows.tenants).toBe(1);
    expect(json.rows.api_keys).toBe(3);

    const missing = join(dir, 'nobody.ndjson');
    expect(await enclave('export', 'nobody', '--out', missing)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Tenant not found\n',
    });
    expect(existsSync(missing)).toBe(false);
    const badDir = await enclave('export', 'acme', '--out', join(dir, 'no-such-dir', 'x.ndjson'));
    expect(badDir.code).toBe(1);
    expect(badDir.stderr).toContain('ENOENT');
    expectUsageError(await enclave('export'), 'export needs a valid tenant id');
    expectUsageError(await enclave('export', 'acme', '--out', ''), '--out needs a file name');

    const exports = (await audit('acme')).filter((entry) => entry.action === 'tenant.export');
    expect(exports[0]).toMatchObject({ actor: 'cli', details: { destination: 'stdout', complete: true } });
    expect(exports.length).toBeGreaterThanOrEqual(3);
  });

  it('erases one end user only with --yes', async () => {
    expectUsageError(await enclave('erase-user', 'acme', 'user-1'), 'add --yes');
    expectUsageError(await enclave('erase-user', 'acme'), 'erase-user needs a user id');
    expectUsageError(await enclave('erase-user'), 'erase-user needs a valid tenant id');
    expect(await enclave('erase-user', 'nobody', 'user-1', '--yes')).toMatchObject({
      code: 1,
      stderr: 'Tenant not found\n',
    });
    const before = await enclaveJson<{ data: { id: string }[] }>('sessions', 'list', '--tenant', 'acme');
    expect(before.data.map((session) => session.id)).toContain(sessionId);

    const erased = await enclave('erase-user', 'acme', 'user-1', '--yes');
    expect(erased.code, erased.stderr).toBe(0);
    // The turn ran with an API key (no end user id on the record), but in the user's session: it goes too.
    expect(erased.stdout).toBe('Erased user user-1 of tenant acme: 1 sessions, 2 messages, 1 usage records\n');

    const after = await enclaveJson<{ data: { id: string }[] }>('sessions', 'list', '--tenant', 'acme');
    expect(after.data.map((session) => session.id)).not.toContain(sessionId);
    expect(after.data).toHaveLength(before.data.length - 1);
    const exported = parseNdjson((await enclave('export', 'acme')).stdout);
    const ofSession = exported.filter(
      ({ table, row }) =>
        (table === 'sessions' && row.id === sessionId) || (table === 'messages' && row.session_id === sessionId),
    );
    expect(ofSession).toEqual([]);
    expect(exported.some((line) => String(line.row.content).includes('hello with a key'))).toBe(true);

    const nothing = await enclaveJson<Record<string, unknown>>('erase-user', 'acme', 'user-1', '--yes');
    expect(nothing).toEqual({ tenant_id: 'acme', user_id: 'user-1', sessions: 0, messages: 0, usage_records: 0 });

    const erasures = (await audit('acme')).filter((entry) => entry.action === 'user.erase');
    expect(erasures.map(({ actor, target, details }) => ({ actor, target, details }))).toEqual([
      { actor: 'cli', target: 'user-1', details: { sessions: 1, messages: 2, usage_records: 1 } },
      { actor: 'cli', target: 'user-1', details: { sessions: 0, messages: 0, usage_records: 0 } },
    ]);
  });

  it('audits tenant delete, keeping that entry after the tenant is gone', async () => {
    expect((await enclave('tenants', 'delete', 'acme', '--yes')).code).toBe(0);
    const entries = await audit('acme');
    expect(entries.map(({ actor, action, target }) => ({ actor, action, target }))).toEqual([
      { actor: 'cli', action: 'tenant.delete', target: 'acme' },
    ]);
    expect(await enclave('tenants', 'delete', 'acme', '--yes')).toMatchObject({ code: 1 });
    expect(await audit('acme')).toHaveLength(1);
  });

  it("documents every command form in that command's --help", async () => {
    for (const [command, form] of [
      ['tenants', 'tenants suspend <id>'],
      ['tenants', 'tenants resume <id>'],
      ['keys', 'keys create --tenant <id>'],
      ['keys', 'keys list --tenant <id>'],
      ['keys', 'keys revoke <key-id> --tenant <id>'],
      ['admin-key', 'admin-key create [--name N]'],
      ['admin-key', 'admin-key list'],
      ['admin-key', 'admin-key revoke <id>'],
      ['usage', 'usage --tenant <id>'],
      ['export', 'export <tenant> [--out FILE]'],
      ['erase-user', 'erase-user <tenant> <user-id> --yes'],
    ] as const) {
      const help = await enclave(command, '--help');
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toContain(`enclave ${form}`);
      expect((await enclave('help', command)).stdout).toBe(help.stdout);
      expect((await enclave('--help')).stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, 'm'));
    }
  });
});
