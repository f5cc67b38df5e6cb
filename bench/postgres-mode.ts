/**
 * PostgreSQL mode: legacy interact through the real server (runtime role, row-level security)
 * next to a raw `pg` script that runs the same transaction shape, in the same run, on the same
 * database server. The raw figure is the ceiling of the database work alone.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { initRoles } from '../src/storage/postgres/roles.ts';
import { reachable } from '../test/helpers/reachable.ts';
import type { LoadResult } from './load.ts';
import { INTERACT_MESSAGE } from './scenarios.ts';

export const POSTGRES_BENCH_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  migrationUrl: string;
  drop(): Promise<void>;
}

export const postgresReachable = (url = POSTGRES_BENCH_URL): Promise<boolean> => reachable(new URL(url), 5432);

async function superuser(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_BENCH_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A scratch database with owner and runtime roles, set up by `enclave db init`'s code. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `enclave_bench_${randomBytes(4).toString('hex')}`;
  await superuser(`CREATE DATABASE ${name}`);
  const at = (user?: string) => {
    const url = new URL(POSTGRES_BENCH_URL);
    url.pathname = `/${name}`;
    if (user) url.username = user;
    return url.toString();
  };
  const database = { url: at(`${name}_app`), migrationUrl: at(`${name}_owner`) };
  await initRoles({ superuserUrl: at(), migrationUrl: database.migrationUrl, runtimeUrl: database.url });
  return {
    ...database,
    async drop() {
      await superuser(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await superuser(`DROP ROLE IF EXISTS ${name}_app`);
      await superuser(`DROP ROLE IF EXISTS ${name}_owner`);
    },
  };
}

const MESSAGE_INSERT =
  'INSERT INTO messages (tenant_id, session_id, seq, id, turn_id, role, status, content, tool_calls, final, input_tokens, output_tokens, total_tokens, model, latency_ms, request_id, config_version, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)';

/**
 * One legacy interaction, statement for statement what the server sends for a new tenant (read
 * off `log_statement = all`): the tenant view read (one message with the tenant setting), the
 * first write (tenant, session, user message), the context read (summary and messages), and the
 * last write (seq, reply, usage record). Each runs as the runtime role in its own transaction
 * that begins with the tenant setting.
 */
async function interaction(pool: pg.Pool, tenantId: string, n: number): Promise<void> {
  const now = new Date().toISOString();
  const session = 'legacy';
  const userId = `msg_raw_${n}_u`;
  const tx = async (work: (client: pg.PoolClient) => Promise<void>) => {
    const client = await pool.connect();
    try {
      await client.query(`BEGIN; SELECT set_config('app.tenant_id', ${client.escapeLiteral(tenantId)}, true)`);
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
  // A single read shares one message with the tenant setting (one implicit transaction), as the server does.
  const single = await pool.connect();
  try {
    const tenant = single.escapeLiteral(tenantId);
    await single.query(
      `SELECT set_config('app.tenant_id', ${tenant}, true);
       SELECT t.id, t.name, t.status, t.config_version, t.created_at, t.updated_at, c.version, c.config
         FROM tenants t LEFT JOIN tenant_configs c ON c.tenant_id = t.id AND c.version = t.config_version WHERE t.id = ${tenant}`,
    );
  } finally {
    single.release();
  }
  await tx(async (client) => {
    await client.query('INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
      tenantId,
      tenantId,
      now,
    ]);
    const { rows } = await client.query(
      `INSERT INTO sessions (tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)
       ON CONFLICT (tenant_id, id) DO UPDATE SET last_seq = sessions.last_seq + 1, updated_at = excluded.updated_at RETURNING last_seq`,
      [tenantId, session, null, null, '{}', now, now],
    );
    const seq = Number(rows[0].last_seq);
    const content = JSON.stringify([{ type: 'text', text: INTERACT_MESSAGE }]);
    await client.query(MESSAGE_INSERT, [
      tenantId,
      session,
      seq,
      userId,
      userId,
      'user',
      'completed',
      content,
      null,
      0,
      null,
      null,
      null,
      null,
      null,
      'req',
      null,
      null,
      now,
    ]);
  });
  await tx(async (client) => {
    await client.query(
      'SELECT up_to_seq, text FROM session_summaries WHERE tenant_id = $1 AND session_id = $2 ORDER BY up_to_seq DESC LIMIT 1',
      [tenantId, session],
    );
    await client.query(
      `SELECT seq, role, content FROM messages WHERE tenant_id = $1 AND session_id = $2 AND seq < $3 AND (role = 'user' OR final = 1) ORDER BY seq DESC LIMIT $4`,
      [tenantId, session, 2, 32],
    );
  });
  await tx(async (client) => {
    const { rows } = await client.query(
      'UPDATE sessions SET last_seq = last_seq + $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 RETURNING last_seq',
      [1, now, tenantId, session],
    );
    const seq = Number(rows[0].last_seq);
    const reply = JSON.stringify([{ type: 'text', text: `Agent response to '${INTERACT_MESSAGE}' with context: []` }]);
    await client.query(MESSAGE_INSERT, [
      tenantId,
      session,
      seq,
      `msg_raw_${n}_a`,
      userId,
      'assistant',
      'completed',
      reply,
      null,
      1,
      20,
      20,
      40,
      'simulated:simulated-1',
      1,
      'req',
      0,
      null,
      now,
    ]);
    await client.query(
      'INSERT INTO usage_records (tenant_id, id, session_id, turn_id, key_id, user_id, model, config_version, input_tokens, output_tokens, total_tokens, tool_calls, latency_ms, status, day, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)',
      [
        tenantId,
        `use_raw_${n}`,
        session,
        userId,
        null,
        null,
        'simulated:simulated-1',
        0,
        20,
        20,
        40,
        0,
        1,
        'completed',
        now.slice(0, 10),
        now,
      ],
    );
  });
}

/** The raw script: `connections` concurrent loops, a new tenant per interaction, pool as large as the server's. */
export async function rawInteractions(
  url: string,
  options: { connections: number; poolMax: number; durationSeconds: number; prefix: string },
): Promise<Pick<LoadResult, 'reqPerSec' | 'responses' | 'errors'> & { latencyMs: { p50: number; p99: number } }> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax });
  let next = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const n = ++next;
      const begun = performance.now();
      try {
        await interaction(pool, `${options.prefix}-${n}`, n);
        latencies.push(performance.now() - begun);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  latencies.sort((a, b) => a - b);
  const at = (fraction: number) => Math.round((latencies[Math.ceil(fraction * latencies.length) - 1] ?? 0) * 100) / 100;
  return {
    reqPerSec: Math.round(latencies.length / seconds),
    responses: latencies.length,
    errors,
    latencyMs: { p50: at(0.5), p99: at(0.99) },
  };
}
