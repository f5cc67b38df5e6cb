import type { SqlClient, SqlValue } from './sql-database.ts';

/** The counter column on a parent row that numbers its versions (for example `tenants.config_version`). */
export interface VersionCounter {
  /** The parent table. A constant of the storage code, never input: it is written into the SQL. */
  table: string;
  /** The counter column on it, holding the newest version number (0 before the first). Also a constant. */
  column: string;
  /** The parent row: a `WHERE` clause with `?` placeholders (it names the tenant) and its values. */
  where: string;
  params: readonly SqlValue[];
  /** Other columns to set in the same statement (`updated_at`), as constant column names and values. */
  alsoSet?: Readonly<Record<string, SqlValue>>;
}

/**
 * Allocates the next version number of a versioned resource, inside the caller's transaction, by
 * incrementing a counter on its parent row: one `UPDATE … SET column = column + 1 … RETURNING`.
 * Returns null when the parent row does not exist (or belongs to another tenant: RLS hides it).
 *
 * This is the house pattern for every "version n + 1" (tenant configs; agent versions follow it).
 * Never read `max(version) + 1` and insert it: on PostgreSQL (READ COMMITTED) two transactions
 * read the same max and the second insert fails on the primary key (issue #15, defect 4: 9 of 20
 * parallel config updates answered 500). The UPDATE takes the parent row's lock, so concurrent
 * writers queue on it, and each re-evaluates `column + 1` on the row the previous one committed:
 * every writer gets its own number, in commit order. SQLite serialises writers anyway. Insert the
 * version row in the same transaction, so a rollback returns the number with it.
 */
export async function nextVersion(client: SqlClient, counter: VersionCounter): Promise<number | null> {
  const extra = Object.entries(counter.alsoSet ?? {});
  const assignments = [`${counter.column} = ${counter.column} + 1`, ...extra.map(([column]) => `${column} = ?`)];
  const row = await client.get<{ version: number }>(
    `UPDATE ${counter.table} SET ${assignments.join(', ')} WHERE ${counter.where} RETURNING ${counter.column} AS version`,
    [...extra.map(([, value]) => value), ...counter.params],
  );
  return row ? Number(row.version) : null;
}
