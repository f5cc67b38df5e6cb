import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIds } from '../../src/core/ids.ts';
import type { AdminStorage, ConsoleSessionStore, CredentialLookup, Storage } from '../../src/core/ports.ts';
import type { IdempotencyStore } from '../../src/core/turns/idempotency.ts';
import { createStorage, type OpenedStorage } from '../../src/storage/create-storage.ts';
import { RLS_TABLES } from '../../src/storage/postgres/migrations.ts';
import { initRoles, UnsafeRoleError } from '../../src/storage/postgres/roles.ts';
import { newMessage } from '../fakes/new-message.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/postgres.ts';

const enabled = await postgresAvailable();
const ids = createIds();

/** Row-level security checked behind the server's back, with raw SQL as the runtime role. */
describe.skipIf(!enabled)('PostgreSQL row-level security', () => {
  let database: TestDatabase;
  let storage: Storage & AdminStorage & CredentialLookup & IdempotencyStore & ConsoleSessionStore;
  let runtime: pg.Client;
  let superuser: pg.Client;

  /** A usage record of one token in and one out, for a turn of user `u1`. */
  const usage = (sessionId: string, turnId: string, status: 'completed' | 'summary') => ({
    id: ids.next('use'),
    sessionId,
    turnId,
    keyId: null,
    userId: 'u1',
    model: 'simulated:simulated-1',
    configVersion: 1,
    inputTokens: 1,
    outputTokens: 1,
    totalTokens: 2,
    toolCalls: 0,
    latencyMs: 1,
    status,
  });

  let mcp: Pick<OpenedStorage, 'mcpServers' | 'mcpOAuth'>;

  /** Puts a row in every tenant table for `tenantId`. */
  async function populate(tenantId: string) {
    await storage.createTenant({ id: tenantId, name: tenantId });
    await storage.appendTenantConfig(tenantId, { systemPrompt: 'p' } as never, 'test');
    await storage.createAgent(
      tenantId,
      {
        id: 'support',
        name: 'Support',
        description: null,
        metadata: {},
        config: { systemPrompt: 'p' } as never,
        createdBy: 'test',
      },
      { maxAgents: 10 },
    );
    const session = ids.next('ses');
    await storage.createSession(
      tenantId,
      { id: session, title: null, userId: 'u1', metadata: {} },
      { createTenant: false },
    );
    const turn = ids.next('msg');
    await storage.beginTurn(tenantId, {
      sessionId: session,
      createTenant: false,
      createSession: null,
      message: newMessage('user', [{ type: 'text', text: 'hi' }], turn, { userId: 'u1' }),
    });
    await storage.completeTurn(tenantId, session, [], usage(session, turn, 'completed'));
    await storage.saveResponse(tenantId, {
      turnId: turn,
      sessionId: session,
      previousTurnId: null,
      conversation: false,
      settings: {
        model: 'default',
        instructions: null,
        metadata: {},
        tools: [],
        tool_choice: 'auto',
        temperature: null,
        top_p: null,
        max_output_tokens: null,
        parallel_tool_calls: true,
        text: { format: { type: 'text' } },
        background: false,
        store: true,
      },
    });
    await storage.saveSessionSummary(
      tenantId,
      { sessionId: session, upToSeq: 1, text: 'summary', model: 'simulated:simulated-1', tokenCount: 1 },
      usage(session, turn, 'summary'),
    );
    await storage.createApiKey(tenantId, {
      id: ids.next('key'),
      name: 'k',
      prefix: 'enc_x',
      hash: `hash-${tenantId}`,
      scopes: ['chat'],
      limits: null,
      expiresAt: null,
    });
    await storage.appendAudit({ tenantId, actor: 'test', action: 'test', target: 't', requestId: null, details: {} });
    await storage.createConsoleSession({
      kind: 'tenant',
      hash: `console-${tenantId}`,
      tenantId,
      keyId: 'key_x',
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await storage.putDataKey(tenantId, 'wrapped');
    await storage.putSecret(tenantId, 'S', 'cipher');
    await storage.claimIdempotencyKey(tenantId, {
      key: 'k',
      fingerprint: 'f',
      token: 't',
      userId: 'u1',
      owner: 'ins-test',
      leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    // MCP servers (migration 14) and their OAuth grants and pending authorizations (migration 15).
    const at = new Date().toISOString();
    await mcp.mcpServers.create(tenantId, {
      id: 'mcp1',
      name: 'one',
      url: 'https://mcp.example.com/mcp',
      transport: 'streamable-http',
      auth: { type: 'oauth', grant: 'authorization_code', clientId: null, clientSecretName: null, scope: null },
      tools: null,
      callTimeoutMs: null,
      perUserCredentials: true,
      createdAt: at,
      updatedAt: at,
    });
    await mcp.mcpServers.putUserCredential(tenantId, 'mcp1', 'u1', 'sealed', at);
    const grant = { tenantId, serverId: 'mcp1', userKey: 'u1' };
    await mcp.mcpOAuth.saveGrant(grant, { tokens: 'sealed', clientInfo: null, discovery: null, expiresAt: null }, null);
    await mcp.mcpOAuth.putPending(tenantId, 'state-hash', {
      serverId: 'mcp1',
      userKey: 'u1',
      codeVerifier: 'sealed',
      context: 'sealed',
      expiresAt: Date.now() + 60_000,
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const opened = await createStorage({
      databaseUrl: database.url,
      databaseMigrationUrl: database.migrationUrl,
      sqliteSynchronous: 'NORMAL',
      migrate: true,
    });
    storage = opened.storage as Storage & AdminStorage & CredentialLookup & IdempotencyStore & ConsoleSessionStore;
    mcp = opened;
    await populate('tenant-a');
    await populate('tenant-b');
    runtime = new pg.Client({ connectionString: database.url });
    superuser = new pg.Client({ connectionString: database.superuserUrl });
    await runtime.connect();
    await superuser.connect();
  });
  afterAll(async () => {
    await runtime?.end();
    await superuser?.end();
    await storage?.close();
    await database?.drop();
  });

  it('every tenant table has ENABLE and FORCE row-level security, and no table with a tenant column is missed', async () => {
    const { rows } = await superuser.query(
      `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id') OR c.relname = 'tenants')`,
    );
    expect(rows.map((row) => row.table).sort()).toEqual(RLS_TABLES.map((entry) => entry.table).sort());
    for (const row of rows) expect(row, row.table).toMatchObject({ enabled: true, forced: true });
  });

  it('the runtime role is neither superuser nor BYPASSRLS, and does not own the tables', async () => {
    const { rows } = await runtime.query(
      `SELECT rolsuper, rolbypassrls, pg_has_role(current_user, (SELECT tableowner FROM pg_tables WHERE tablename = 'messages'), 'MEMBER') AS owner
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, owner: false });
  });

  it('a raw query with no tenant set returns 0 rows from every tenant table (fails closed)', async () => {
    for (const { table } of RLS_TABLES) {
      const total = await superuser.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(total.rows[0].n, `${table} has rows to hide`).toBeGreaterThanOrEqual(2);
      const seen = await runtime.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(seen.rows[0].n, table).toBe(0);
    }
  });

  it('with one tenant set, only that tenant is visible in every table', async () => {
    await runtime.query('BEGIN');
    await runtime.query(`SELECT set_config('app.tenant_id', 'tenant-a', true)`);
    for (const { table, column } of RLS_TABLES) {
      const { rows } = await runtime.query(`SELECT DISTINCT ${column} AS tenant FROM ${table}`);
      expect(rows, table).toEqual([{ tenant: 'tenant-a' }]);
    }
    await runtime.query('COMMIT');
  });

  it("writing, moving or deleting another tenant's rows fails or touches nothing", async () => {
    const asTenantA = async (sql: string, values: unknown[] = []) => {
      await runtime.query('BEGIN');
      try {
        await runtime.query(`SELECT set_config('app.tenant_id', 'tenant-a', true)`);
        return await runtime.query(sql, values);
      } finally {
        await runtime.query('ROLLBACK');
      }
    };
    await expect(
      asTenantA(
        `INSERT INTO sessions (tenant_id, id, metadata, last_seq, created_at, updated_at) VALUES ('tenant-b', 'x', '{}', 0, 'now', 'now')`,
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      asTenantA(
        `INSERT INTO tenant_secrets (tenant_id, name, ciphertext, updated_at) VALUES ('tenant-b', 'X', 'c', 'now')`,
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(asTenantA(`UPDATE sessions SET tenant_id = 'tenant-b'`)).rejects.toThrow(/row-level security/);
    expect((await asTenantA(`UPDATE tenant_secrets SET ciphertext = 'x' WHERE tenant_id = 'tenant-b'`)).rowCount).toBe(
      0,
    );
    expect((await asTenantA(`DELETE FROM messages WHERE tenant_id = 'tenant-b'`)).rowCount).toBe(0);
    expect((await asTenantA(`DELETE FROM tenants WHERE id = 'tenant-b'`)).rowCount).toBe(0);
    const left = await superuser.query(`SELECT count(*)::int AS n FROM messages WHERE tenant_id = 'tenant-b'`);
    expect(left.rows[0].n).toBeGreaterThan(0);
  });

  it('the runtime role cannot turn row-level security off or change the policies', async () => {
    await expect(runtime.query('ALTER TABLE messages DISABLE ROW LEVEL SECURITY')).rejects.toThrow(/owner/);
    await expect(runtime.query('DROP POLICY tenant_isolation ON messages')).rejects.toThrow(/owner/);
    await expect(runtime.query(`SET ROLE ${database.name}_owner`)).rejects.toThrow(/permission denied/);
  });

  it('the cross-tenant paths are explicit functions that answer only what they are for', async () => {
    const key = await runtime.query('SELECT tenant_id FROM enclave_find_api_key($1)', ['hash-tenant-b']);
    expect(key.rows).toEqual([{ tenant_id: 'tenant-b' }]);
    expect((await runtime.query('SELECT * FROM enclave_find_api_key($1)', ['nope'])).rowCount).toBe(0);
    const found = await storage.findByHash('hash-tenant-a');
    expect(found?.kind === 'tenant-key' && found.key.tenantId).toBe('tenant-a');
    expect((await storage.listTenants({ limit: 10, afterId: null })).map((tenant) => tenant.id)).toEqual([
      'tenant-a',
      'tenant-b',
    ]);
    // A console cookie names no tenant until found; the lookup answers the one session of that hash.
    const session = await runtime.query('SELECT tenant_id FROM enclave_find_console_session($1)', ['console-tenant-b']);
    expect(session.rows).toEqual([{ tenant_id: 'tenant-b' }]);
    expect((await storage.findConsoleSession('console-tenant-a'))?.kind).toBe('tenant');
    expect(await storage.findConsoleSession('nope')).toBeNull();
    // Operator usage: sums only, by tenant, day and model.
    const sums = await storage.aggregateUsageAcrossTenants({ from: '2000-01-01', to: '2999-12-31' });
    expect([...new Set(sums.map((row) => row.tenantId))]).toEqual(['tenant-a', 'tenant-b']);
  });

  it('gives the runtime role no direct access to admin_keys: lookups go through a function, writes through the owner', async () => {
    const created = await storage.createAdminKey({ id: 'adm_rls', name: 'ops', hash: 'hash-admin-rls' });
    expect(created).toMatchObject({ id: 'adm_rls', name: 'ops', revokedAt: null });
    for (const sql of [
      `INSERT INTO admin_keys (id, name, hash, created_at) VALUES ('adm_evil', 'evil', 'hash-evil', 'now')`,
      `UPDATE admin_keys SET revoked_at = NULL`,
      `DELETE FROM admin_keys`,
      `SELECT hash FROM admin_keys`,
    ]) {
      await expect(runtime.query(sql), sql).rejects.toThrow(/permission denied/);
    }
    const found = await runtime.query('SELECT * FROM enclave_find_admin_key($1)', ['hash-admin-rls']);
    expect(found.rows).toEqual([{ id: 'adm_rls', name: 'ops', revoked_at: null, created_at: created.createdAt }]);
    expect((await storage.findByHash('hash-admin-rls'))?.kind).toBe('admin-key');
    expect((await storage.listAdminKeys()).map((key) => key.id)).toEqual(['adm_rls']);
    expect(await storage.revokeAdminKey('adm_rls')).toBe(true);
    expect((await storage.listAdminKeys())[0]?.revokedAt).not.toBeNull();

    // Without the owner's URL nothing can write an admin key; reading and looking up still work.
    const runtimeOnly = await createStorage({ databaseUrl: database.url, sqliteSynchronous: 'NORMAL', migrate: false });
    try {
      await expect(runtimeOnly.admin.createAdminKey({ id: 'adm_x', name: 'x', hash: 'h' })).rejects.toThrow(
        /DATABASE_MIGRATION_URL/,
      );
      expect((await runtimeOnly.credentials.findByHash('hash-admin-rls'))?.kind).toBe('admin-key');
    } finally {
      await runtimeOnly.storage.close();
    }

    // A grant that comes back (a restore after `enclave db init`) is refused at start, and db init takes it back.
    await superuser.query(`GRANT INSERT ON admin_keys TO ${database.name}_app`);
    await expect(
      createStorage({ databaseUrl: database.url, sqliteSynchronous: 'NORMAL', migrate: false }),
    ).rejects.toThrow(/can write admin_keys/);
    await initRoles({
      superuserUrl: database.superuserUrl,
      migrationUrl: database.migrationUrl,
      runtimeUrl: database.url,
    });
    await expect(
      runtime.query(`INSERT INTO admin_keys (id, name, hash, created_at) VALUES ('a', 'b', 'c', 'd')`),
    ).rejects.toThrow(/permission denied/);
    await (
      await createStorage({ databaseUrl: database.url, sqliteSynchronous: 'NORMAL', migrate: false })
    ).storage.close();
  });

  it('refuses to start as a superuser or as the owner role', async () => {
    const open = (databaseUrl: string) =>
      createStorage({
        databaseUrl,
        databaseMigrationUrl: database.migrationUrl,
        sqliteSynchronous: 'NORMAL',
        migrate: false,
      });
    await expect(open(database.superuserUrl)).rejects.toThrow(UnsafeRoleError);
    await expect(open(database.superuserUrl)).rejects.toThrow(/superuser/);
    await expect(open(database.migrationUrl)).rejects.toThrow(/owns the tables/);
  });

  it('without DATABASE_MIGRATION_URL the runtime role never migrates: it refuses a schema that is behind, and runs on a current one', async () => {
    const fresh = await createTestDatabase();
    try {
      const open = (migrationUrl?: string) =>
        createStorage({
          databaseUrl: fresh.url,
          ...(migrationUrl ? { databaseMigrationUrl: migrationUrl } : {}),
          sqliteSynchronous: 'NORMAL',
          migrate: true,
        });
      await expect(open()).rejects.toThrow(/schema is at version 0 .*enclave migrate/);
      await (await open(fresh.migrationUrl)).storage.close();
      const runtimeOnly = await open();
      expect(runtimeOnly.migration).toBeNull();
      await runtimeOnly.storage.close();
    } finally {
      await fresh.drop();
    }
  });
});
