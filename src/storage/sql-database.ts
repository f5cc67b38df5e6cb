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
 * The small seam between the dialect-agnostic storage and a database driver.
 * `transaction` runs `work` atomically: commit on resolve, roll back on throw.
 */
export interface SqlDatabase extends SqlClient {
  readonly dialect: 'sqlite';
  transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
