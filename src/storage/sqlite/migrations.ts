import type { Migration } from '../migrate.ts';

/**
 * SQLite schema, forward-only. Never edit a migration that has shipped; add the next one.
 * `tenant_id` leads every key and index so the same shape distributes by tenant on PostgreSQL.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants-sessions-messages',
    sql: `
      CREATE TABLE tenants (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE sessions (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        title TEXT,
        user_id TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        last_seq INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );

      CREATE TABLE messages (
        tenant_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
        status TEXT NOT NULL CHECK (status IN ('completed', 'failed')),
        content TEXT NOT NULL,
        tool_calls TEXT,
        final INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER,
        output_tokens INTEGER,
        total_tokens INTEGER,
        model TEXT,
        latency_ms INTEGER,
        request_id TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, session_id, seq),
        UNIQUE (tenant_id, id),
        FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
      );

      CREATE INDEX messages_turn ON messages (tenant_id, session_id, turn_id);
    `,
  },
];
