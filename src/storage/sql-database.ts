/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | null;
export type SqlRow = Record<string, SqlValue>;

/** Runs one statement. SQL uses `?` placeholders; each dialect adapts them. */
export interface SqlClient {
  all<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  get<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

/**
 * Statements and transactions that run as one tenant. On PostgreSQL every call is a transaction
 * that begins with `set_config('app.tenant_id', …, true)`, so row-level security admits only that
 * tenant's rows; on SQLite (one process, no RLS) it is the database itself.
 */
export interface SqlScope extends SqlClient {
  /**
   * Runs `work` atomically: commit on resolve, roll back on throw. `work` awaits only `client`, and
   * changes nothing but the database and its own locals: SQLite's group commit may run it a second
   * time after rolling the first back (when another transaction of its batch threw).
   */
  transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Runs several reads as one unit of work: one transaction on PostgreSQL (one tenant setting, one
   * snapshot), the connection itself on SQLite (no write lock taken).
   */
  read<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
}

/**
 * The small seam between the dialect-agnostic storage and a database driver. Calls made on the
 * database itself run with no tenant: on PostgreSQL they see no tenant rows at all, only platform
 * tables (admin keys, migrations) and the explicit cross-tenant functions.
 */
export interface SqlDatabase extends SqlScope {
  readonly dialect: 'sqlite' | 'postgres';
  /** Everything run through the returned scope runs as `tenantId`. */
  forTenant(tenantId: string): SqlScope;
  /** Connection pool figures for metrics, or null where there is no pool. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}
