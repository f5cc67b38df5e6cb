import pg from 'pg';
import type { SqlClient, SqlDatabase, SqlRow, SqlScope, SqlValue } from '../sql-database.ts';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Most connections this process opens. */
  poolMax: number;
  /** Server-side cap on any one statement, in milliseconds (0 = none). */
  statementTimeoutMs: number;
  applicationName?: string;
}

/** int8 (counts, sums, bigint columns) and numeric come back as numbers: every value we store fits in 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    return pg.types.getTypeParser(oid, format);
  },
};

const placeholders = new Map<string, string>();

/** `?` → `$1, $2, …`, cached by SQL text (our SQL never holds a `?` inside a literal). */
function numbered(sql: string): string {
  let text = placeholders.get(sql);
  if (text === undefined) {
    let index = 0;
    text = sql.replace(/\?/g, () => `$${++index}`);
    placeholders.set(sql, text);
  }
  return text;
}

/**
 * The statement with every `?` replaced by its value as a SQL literal: strings through the
 * driver's `escapeLiteral` (quotes doubled, backslashes in an E'' string), finite numbers and
 * bigints as digits, null as NULL. Used only where a statement must share one message with the
 * tenant setting (see `single`); everywhere else values travel as bound parameters.
 */
export function inlineParameters(
  sql: string,
  params: readonly SqlValue[],
  escapeLiteral: (value: string) => string,
): string {
  let index = 0;
  const text = sql.replace(/\?/g, () => {
    if (index >= params.length) throw new Error('more placeholders than parameters');
    const value = params[index++];
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error('a parameter is not a finite number');
      return String(value);
    }
    return escapeLiteral(value);
  });
  if (index !== params.length) throw new Error('more parameters than placeholders');
  return text;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

function clientOf(connection: Queryable): SqlClient {
  const query = (sql: string, params: readonly SqlValue[]) =>
    // No parameters: the simple protocol, which also takes a script of several statements.
    params.length === 0 ? connection.query(sql) : connection.query(numbered(sql), params as unknown[]);
  return {
    async all<Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(sql, params)).rows as Row[];
    },
    async get<Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(sql, params)).rows[0] as Row | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return { changes: (await query(sql, params)).rowCount ?? 0 };
    },
  };
}

/**
 * Opens a `pg` pool. Every unit of work is a transaction on one pooled connection; a tenant
 * scope's transaction begins with `set_config('app.tenant_id', <tenant>, true)` so row-level
 * security admits only that tenant's rows, and the setting ends with the transaction (a pooled
 * connection never carries one tenant's id into another's work).
 */
export function openPostgres(options: PostgresOptions): SqlDatabase {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    types,
    application_name: options.applicationName ?? 'enclave',
    ...(options.statementTimeoutMs > 0 ? { statement_timeout: options.statementTimeoutMs } : {}),
    // Never wait forever for a connection or leave a transaction open on a stuck client.
    connectionTimeoutMillis: 10_000,
    idle_in_transaction_session_timeout: 60_000,
  });
  // An idle connection that the server drops must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  async function transaction<T>(tenantId: string | null, work: (client: SqlClient) => Promise<T>): Promise<T> {
    const connection = await pool.connect();
    let broken = false;
    try {
      // BEGIN and the tenant setting share one round trip. The id is escaped as a literal by the driver.
      await connection.query(
        tenantId === null
          ? 'BEGIN'
          : `BEGIN; SELECT set_config('app.tenant_id', ${connection.escapeLiteral(tenantId)}, true)`,
      );
      const result = await work(clientOf(connection));
      const commit = await connection.query('COMMIT');
      // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error.
      if (commit.command === 'ROLLBACK') throw new Error('transaction was rolled back');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  /**
   * One statement as the tenant in ONE round trip: the tenant setting and the statement share a
   * simple-protocol message, which PostgreSQL runs as one implicit transaction, so the
   * transaction-local setting covers exactly this statement and ends with it (an error rolls both
   * back). A `BEGIN … COMMIT` around a bound statement would take three round trips.
   */
  async function single(tenantId: string, sql: string, params: readonly SqlValue[] = []): Promise<pg.QueryResult> {
    const connection = await pool.connect();
    let broken = false;
    try {
      const literal = (value: string) => connection.escapeLiteral(value);
      const results = (await connection.query(
        `SELECT set_config('app.tenant_id', ${literal(tenantId)}, true); ${inlineParameters(sql, params, literal)}`,
      )) as unknown as pg.QueryResult[];
      return results[results.length - 1] as pg.QueryResult;
    } catch (error) {
      // A failed implicit transaction is already rolled back; only a lost connection is dropped.
      broken = !(error instanceof Error && 'severity' in error);
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  const scopeOf = (tenantId: string): SqlScope => ({
    all: async <Row extends SqlRow>(sql: string, params?: readonly SqlValue[]) =>
      (await single(tenantId, sql, params)).rows as Row[],
    get: async <Row extends SqlRow>(sql: string, params?: readonly SqlValue[]) =>
      (await single(tenantId, sql, params)).rows[0] as Row | undefined,
    run: async (sql, params) => ({ changes: (await single(tenantId, sql, params)).rowCount ?? 0 }),
    transaction: (work) => transaction(tenantId, work),
    read: (work) => transaction(tenantId, work),
  });
  // Without a tenant, single statements need no transaction: they see no tenant rows anyway.
  const platform = clientOf(pool);
  let closed = false;

  return {
    dialect: 'postgres',
    ...platform,
    transaction: (work) => transaction(null, work),
    read: (work) => transaction(null, work),
    forTenant: scopeOf,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
