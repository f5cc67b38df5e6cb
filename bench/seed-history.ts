import { randomUUID } from 'node:crypto';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { LEGACY_SESSION_ID } from '../src/core/conversations/session.ts';

/**
 * Writes legacy interactions straight into an Enclave SQLite file, exactly as `POST /agent/interact`
 * stores them with the simulated model: per interaction a user row (turn_id = its own id) and a
 * final assistant row with the same turn_id, then `sessions.last_seq` = the highest seq.
 * The server must be stopped, and must have started once on this file (so the schema exists).
 */

export interface SeedTarget {
  tenantId: string;
  /** Messages the tenant's legacy session holds afterwards (two per interaction; rounded down to even). */
  messages: number;
}

export interface SeedResult {
  tenantId: string;
  messagesBefore: number;
  messagesAfter: number;
}

const SYSTEM_PROMPT = 'You are a helpful assistant.';
const MODEL = 'simulated:simulated-1';
const LEGACY_TITLE = 'Legacy interactions';
/** What the simulated model quotes of earlier user messages, and how many turns its context holds. */
const QUOTE_CHARS = 240;
const CONTEXT_TURNS = 16;

const MESSAGE_COLUMNS = [
  'tenant_id',
  'session_id',
  'seq',
  'id',
  'turn_id',
  'role',
  'status',
  'content',
  'tool_calls',
  'final',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'model',
  'latency_ms',
  'request_id',
  'created_at',
];

const ROW = `(${MESSAGE_COLUMNS.map(() => '?').join(', ')})`;
/** Rows per INSERT: binding many rows per call is several times faster than one row per call. */
const BATCH_ROWS = 64;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function crockford(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let index = 0; index < length; index++) {
    out = CROCKFORD[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** ULID-shaped like the server's ids (10 chars of time, 16 more); unique within the session by `seq`. */
const messageId = (timeMs: number, seq: number): string => `msg_${crockford(timeMs, 10)}SEED${crockford(seq, 12)}`;

const tokens = (text: string): number => (text.length === 0 ? 0 : Math.ceil(text.length / 4));

const content = (text: string): string => JSON.stringify([{ type: 'text', text }]);

function quoteOf(earlier: readonly string[]): string {
  const joined = earlier.join(' ');
  if (joined.length <= QUOTE_CHARS) return joined;
  const tail = joined.slice(-QUOTE_CHARS);
  const space = tail.indexOf(' ');
  return space === -1 ? tail : tail.slice(space + 1);
}

/** Fails clearly if the schema gained a required column this seeder does not fill. */
function checkSchema(database: DatabaseSync): void {
  const columns = database.prepare('PRAGMA table_info(messages)').all() as {
    name: string;
    notnull: number;
    dflt_value: unknown;
  }[];
  if (columns.length === 0) throw new Error('seed-history: no messages table; start the server once on this file');
  const missing = columns.filter(
    (column) => !MESSAGE_COLUMNS.includes(column.name) && column.notnull === 1 && column.dflt_value === null,
  );
  if (missing.length > 0) {
    throw new Error(`seed-history: messages.${missing.map((column) => column.name).join(', ')} is not filled`);
  }
}

/** Tops each tenant's legacy session up to `messages` in one transaction. Returns the counts. */
export function seedLegacyHistory(databasePath: string, targets: readonly SeedTarget[]): SeedResult[] {
  const database = new DatabaseSync(databasePath, { enableForeignKeyConstraints: true });
  try {
    checkSchema(database);
    // Bulk load without a WAL: the server is stopped and the file is scratch. The server puts WAL back on open.
    database.exec('PRAGMA journal_mode = MEMORY');
    database.exec('PRAGMA synchronous = OFF');
    database.exec('PRAGMA cache_size = -262144');
    const insertTenant = database.prepare(
      'INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    const insertSession = database.prepare(
      `INSERT INTO sessions (tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at)
       VALUES (?, ?, ?, NULL, '{}', 0, ?, ?) ON CONFLICT (tenant_id, id) DO NOTHING`,
    );
    const lastSeq = database.prepare('SELECT last_seq FROM sessions WHERE tenant_id = ? AND id = ?');
    const maxSeq = database.prepare('SELECT max(seq) AS seq FROM messages WHERE tenant_id = ? AND session_id = ?');
    const insertMessages = (rows: number) =>
      database.prepare(
        `INSERT INTO messages (${MESSAGE_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(ROW).join(', ')}`,
      );
    const insertBatch = insertMessages(BATCH_ROWS);
    const setLastSeq = database.prepare(
      'UPDATE sessions SET last_seq = ?, updated_at = ? WHERE tenant_id = ? AND id = ?',
    );

    const results: SeedResult[] = [];
    database.exec('BEGIN IMMEDIATE');
    try {
      for (const target of targets) results.push(seedOne(target));
      database.exec('COMMIT');
    } catch (error) {
      if (database.isTransaction) database.exec('ROLLBACK');
      throw error;
    }
    database.exec('PRAGMA journal_mode = WAL');
    return results;

    function seedOne({ tenantId, messages }: SeedTarget): SeedResult {
      const interactions = Math.floor(messages / 2);
      const createdAt = new Date(Date.now() - interactions * 20).toISOString();
      insertTenant.run(tenantId, tenantId, createdAt);
      insertSession.run(tenantId, LEGACY_SESSION_ID, LEGACY_TITLE, createdAt, createdAt);
      const before = Number((lastSeq.get(tenantId, LEGACY_SESSION_ID) as { last_seq: number }).last_seq);
      const stored = Number((maxSeq.get(tenantId, LEGACY_SESSION_ID) as { seq: number | null }).seq ?? 0);
      if (stored !== before) throw new Error(`seed-history: ${tenantId} has last_seq ${before} but max seq ${stored}`);
      const toAdd = Math.max(0, interactions - Math.floor(before / 2));
      const users: string[] = [];
      const replies: number[] = [];
      let seq = before;
      let at = Date.now() - toAdd * 20;
      const params: SQLInputValue[] = [];
      const flush = () => {
        if (params.length === 0) return;
        if (params.length === BATCH_ROWS * MESSAGE_COLUMNS.length) insertBatch.run(...params);
        else insertMessages(params.length / MESSAGE_COLUMNS.length).run(...params);
        params.length = 0;
      };
      for (let turn = 0; turn < toAdd; turn++) {
        const text = `seeded message ${before / 2 + turn + 1} for ${tenantId}`;
        const reply = `Agent response to '${text}' with context: ${quoteOf(users)}`;
        let input = tokens(SYSTEM_PROMPT) + tokens(text);
        for (const index of users.keys()) input += tokens(users[index] ?? '') + (replies[index] ?? 0);
        const output = tokens(reply);
        const requestId = randomUUID();
        const userSeq = ++seq;
        const userId = messageId(at, userSeq);
        const userAt = new Date(at).toISOString();
        // biome-ignore format: one row per line reads better
        params.push(tenantId, LEGACY_SESSION_ID, userSeq, userId, userId, 'user', 'completed', content(text), null, 0, null, null, null, null, null, requestId, userAt);
        at += 1;
        const replySeq = ++seq;
        // biome-ignore format: one row per line reads better
        params.push(tenantId, LEGACY_SESSION_ID, replySeq, messageId(at, replySeq), userId, 'assistant', 'completed', content(reply), null, 1, input, output, input + output, MODEL, 1 + (turn % 10) / 10, requestId, new Date(at).toISOString());
        at += 19;
        if (params.length === BATCH_ROWS * MESSAGE_COLUMNS.length) flush();
        users.push(text);
        replies.push(output);
        if (users.length > CONTEXT_TURNS) {
          users.shift();
          replies.shift();
        }
      }
      flush();
      setLastSeq.run(seq, new Date(at).toISOString(), tenantId, LEGACY_SESSION_ID);
      return { tenantId, messagesBefore: before, messagesAfter: seq };
    }
  } finally {
    database.close();
  }
}

/** The legacy session's message count (its `last_seq`), or 0 when the tenant has none. */
export function legacyMessageCount(databasePath: string, tenantId: string): number {
  const database = new DatabaseSync(databasePath, { readOnly: true });
  try {
    const row = database
      .prepare('SELECT last_seq FROM sessions WHERE tenant_id = ? AND id = ?')
      .get(tenantId, LEGACY_SESSION_ID) as { last_seq: number } | undefined;
    return row ? Number(row.last_seq) : 0;
  } finally {
    database.close();
  }
}
