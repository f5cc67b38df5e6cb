import { describe, expect, it } from 'vitest';
import { createAgentService } from '../../src/core/agent-catalog/agent-service.ts';
import { createIds } from '../../src/core/ids.ts';
import { createConfigService } from '../../src/core/tenants/config-service.ts';
import { createTenantDirectory } from '../../src/core/tenants/tenant-directory.ts';
import { createStorage, migrationsFor, openDatabase } from '../../src/storage/create-storage.ts';
import { migrate } from '../../src/storage/migrate.ts';
import type { SqlDatabase } from '../../src/storage/sql-database.ts';
import { storageDialects } from '../helpers/storage-dialects.ts';

const DIALECTS = storageDialects('agents-migration');

const AT = '2026-01-02T03:04:05.000Z';

/** Rows in every table, as the release before agents (migrations 1..7) wrote them. */
async function writeOldRows(database: SqlDatabase, tenantId: string) {
  const run = (sql: string, params: (string | number | null)[]) => database.run(sql, params);
  await run(
    'INSERT INTO tenants (id, name, created_at, status, updated_at, config_version) VALUES (?, ?, ?, ?, ?, 2)',
    [tenantId, `Tenant ${tenantId}`, AT, 'active', AT],
  );
  for (const [version, prompt] of [
    [1, `first prompt of ${tenantId}`],
    [2, `second prompt of ${tenantId}`],
  ] as const) {
    const config = {
      systemPrompt: prompt,
      model: { provider: 'simulated', id: 'simulated-1' },
      tools: ['current_time'],
    };
    await run(
      'INSERT INTO tenant_configs (tenant_id, version, config, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
      [tenantId, version, JSON.stringify(config), 'test', AT],
    );
  }
  await run(
    "INSERT INTO sessions (tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at) VALUES (?, 'ses_1', 't', 'u1', '{}', 2, ?, ?)",
    [tenantId, AT, AT],
  );
  const content = (text: string) => JSON.stringify([{ type: 'text', text }]);
  await run(
    `INSERT INTO messages (tenant_id, session_id, seq, id, turn_id, role, status, content, final, config_version, user_id, created_at)
     VALUES (?, 'ses_1', 1, 'msg_u', 'msg_u', 'user', 'completed', ?, 0, NULL, 'u1', ?)`,
    [tenantId, content('hello'), AT],
  );
  await run(
    `INSERT INTO messages (tenant_id, session_id, seq, id, turn_id, role, status, content, final, model, config_version, user_id, created_at)
     VALUES (?, 'ses_1', 2, 'msg_a', 'msg_u', 'assistant', 'completed', ?, 1, 'simulated:simulated-1', 2, 'u1', ?)`,
    [tenantId, content('hi there'), AT],
  );
  await run(
    `INSERT INTO session_summaries (tenant_id, session_id, up_to_seq, text, model, token_count, created_at)
     VALUES (?, 'ses_1', 1, 'a summary', 'simulated:simulated-1', 3, ?)`,
    [tenantId, AT],
  );
  await run(
    `INSERT INTO usage_records (tenant_id, id, session_id, turn_id, key_id, user_id, model, config_version, input_tokens,
       output_tokens, total_tokens, tool_calls, latency_ms, status, day, created_at)
     VALUES (?, 'use_1', 'ses_1', 'msg_u', NULL, 'u1', 'simulated:simulated-1', 2, 3, 4, 7, 0, 5, 'completed', '2026-01-02', ?)`,
    [tenantId, AT],
  );
  await run(
    `INSERT INTO api_keys (tenant_id, id, name, prefix, hash, scopes, created_at) VALUES (?, 'key_1', 'k', 'enc_x', ?, '["chat"]', ?)`,
    [tenantId, `hash-${tenantId}`, AT],
  );
  await run(
    `INSERT INTO audit_log (tenant_id, id, actor, action, target, details, created_at) VALUES (?, 'aud_1', 'test', 'x', 'y', '{}', ?)`,
    [tenantId, AT],
  );
  await run('INSERT INTO tenant_data_keys (tenant_id, wrapped_key, created_at) VALUES (?, ?, ?)', [
    tenantId,
    'wrapped',
    AT,
  ]);
  await run('INSERT INTO tenant_secrets (tenant_id, name, ciphertext, updated_at) VALUES (?, ?, ?, ?)', [
    tenantId,
    'openai.key',
    'cipher',
    AT,
  ]);
  await run(
    `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, claim_token, created_at, expires_at)
     VALUES (?, 'idem', 'f', 'completed', 't', ?, '2999-01-01T00:00:00.000Z')`,
    [tenantId, AT],
  );
}

const OLD_TABLES = [
  'tenants',
  'tenant_configs',
  'sessions',
  'messages',
  'session_summaries',
  'usage_records',
  'api_keys',
  'audit_log',
  'tenant_data_keys',
  'tenant_secrets',
  'idempotency_keys',
];

/**
 * Every row of the old tables, as JSON. With `columns` (the first snapshot's), only those columns:
 * columns added by later migrations (agent_id by 10, and the other branches' 8 and 11) are checked
 * on their own; every old column keeps its value.
 */
async function snapshot(
  database: SqlDatabase,
  columns?: Record<string, string[]>,
): Promise<{ tables: Record<string, unknown[]>; columns: Record<string, string[]> }> {
  const tables: Record<string, unknown[]> = {};
  const seen: Record<string, string[]> = {};
  for (const table of OLD_TABLES) {
    const rows = await database.all(`SELECT * FROM ${table}`);
    const keep = columns?.[table];
    seen[table] = Object.keys(rows[0] ?? {});
    tables[table] = rows
      .map((row) => JSON.stringify(keep ? Object.fromEntries(keep.map((name) => [name, row[name]])) : row))
      .sort();
  }
  return { tables, columns: seen };
}

for (const dialect of DIALECTS) {
  describe(`migration 10 (agents): ${dialect.name}`, () => {
    it('upgrades a database of the previous release keeping every row; each tenant config is its default agent', async (context) => {
      const opened = await dialect.open();
      if (!opened) return context.skip();
      // The owner role: it builds the old schema, writes the old rows and runs the upgrade.
      const owner = await openDatabase(
        { databaseUrl: opened.databaseUrl, sqliteSynchronous: 'NORMAL', databasePoolMax: 1 },
        opened.databaseMigrationUrl ?? opened.databaseUrl,
      );
      try {
        const all = migrationsFor(owner);
        await migrate(
          owner,
          all.filter((migration) => migration.version <= 7),
        );
        for (const tenantId of ['acme', 'globex']) await writeOldRows(owner, tenantId);
        const before = await snapshot(owner);
        // Every old table holds rows of both tenants (the owner role reads across them).
        for (const table of OLD_TABLES) expect(before.tables[table]?.length, table).toBeGreaterThanOrEqual(2);

        const result = await migrate(owner, all);
        expect(result.applied.map((migration) => migration.version)).toContain(10);
        expect((await snapshot(owner, before.columns)).tables).toEqual(before.tables);
      } finally {
        await owner.close();
      }

      const { storage } = await createStorage({ ...opened, sqliteSynchronous: 'NORMAL', migrate: true });
      try {
        const configs = createConfigService({ storage, tenants: createTenantDirectory({ storage }) });
        const agents = createAgentService({ storage, configs, ids: createIds() });
        for (const tenantId of ['acme', 'globex']) {
          const agent = await agents.get(tenantId, 'default');
          expect(agent).toMatchObject({ id: 'default', version: 2 });
          expect(agent.config.systemPrompt).toBe(`second prompt of ${tenantId}`);
          const versions = await agents.versions(tenantId, 'default', { limit: 10, beforeVersion: null });
          expect(versions.map((version) => version.config.systemPrompt)).toEqual([
            `second prompt of ${tenantId}`,
            `first prompt of ${tenantId}`,
          ]);
          // Old sessions run the default agent; the old reply was written by its version 2.
          expect(await storage.sessionAgent(tenantId, 'ses_1')).toEqual({ agent: null });
          const [, reply] = await storage.listMessages(tenantId, 'ses_1', { limit: 10, cursorSeq: null, order: 'asc' });
          expect(reply).toMatchObject({ configVersion: 2, agentId: null });
          expect(
            await storage.aggregateUsage(tenantId, { from: '2026-01-01', to: '2026-01-31', groupBy: ['agent'] }),
          ).toEqual([expect.objectContaining({ agent: 'default', totalTokens: 7 })]);
          // A new agent beside it, in the upgraded schema.
          await agents.create(tenantId, { id: 'support', config: { systemPrompt: 'Help.' } }, 'test');
        }
        expect((await agents.list('acme', { limit: 10, afterId: null })).map((agent) => agent.id)).toEqual([
          'default',
          'support',
        ]);
      } finally {
        await storage.close();
        await opened.cleanup();
      }
    });
  });
}
