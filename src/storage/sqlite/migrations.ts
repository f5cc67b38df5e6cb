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
  {
    version: 2,
    name: 'identity-config-usage-audit',
    sql: `
      ALTER TABLE tenants ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended'));
      ALTER TABLE tenants ADD COLUMN updated_at TEXT;
      ALTER TABLE tenants ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN config_version INTEGER;

      CREATE TABLE api_keys (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL,
        scopes TEXT NOT NULL,
        limits TEXT,
        expires_at TEXT,
        last_used_at TEXT,
        revoked_at TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      -- The one lookup that cannot start from a tenant: a presented key names no tenant until it is found.
      CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);

      CREATE TABLE admin_keys (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        revoked_at TEXT,
        created_at TEXT NOT NULL
      );

      CREATE TABLE tenant_configs (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        config TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, version)
      );

      CREATE TABLE usage_records (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        key_id TEXT,
        user_id TEXT,
        model TEXT NOT NULL,
        config_version INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL,
        tool_calls INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        day TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX usage_records_day ON usage_records (tenant_id, day, model);

      CREATE TABLE audit_log (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        request_id TEXT,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

      CREATE TABLE tenant_data_keys (
        tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        wrapped_key TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE tenant_secrets (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        ciphertext TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, name)
      );
    `,
  },
  {
    version: 3,
    name: 'message-user',
    sql: `
      ALTER TABLE messages ADD COLUMN user_id TEXT;
      CREATE INDEX messages_user ON messages (tenant_id, user_id) WHERE user_id IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'message-status-cancelled',
    // SQLite cannot alter a CHECK constraint: the table is rebuilt with the same columns, in order.
    sql: `
      CREATE TABLE messages_v4 (
        tenant_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
        status TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'cancelled')),
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
        config_version INTEGER,
        user_id TEXT,
        PRIMARY KEY (tenant_id, session_id, seq),
        UNIQUE (tenant_id, id),
        FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
      );
      INSERT INTO messages_v4 SELECT tenant_id, session_id, seq, id, turn_id, role, status, content, tool_calls, final,
        input_tokens, output_tokens, total_tokens, model, latency_ms, request_id, created_at, config_version, user_id
        FROM messages;
      DROP TABLE messages;
      ALTER TABLE messages_v4 RENAME TO messages;
      CREATE INDEX messages_turn ON messages (tenant_id, session_id, turn_id);
      CREATE INDEX messages_user ON messages (tenant_id, user_id) WHERE user_id IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'message-turn-index',
    // GET /v1/turns/{id} finds a turn's messages by turn id alone (the session is not in the path).
    sql: `
      CREATE INDEX messages_turn_id ON messages (tenant_id, turn_id);
    `,
  },
  {
    version: 6,
    name: 'idempotency-keys',
    // No foreign key to tenants: a legacy interact claims its key before it creates the tenant.
    sql: `
      CREATE TABLE idempotency_keys (
        tenant_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed')),
        claim_token TEXT NOT NULL,
        user_id TEXT,
        turn_id TEXT,
        response_status INTEGER,
        response_body TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, key)
      );
      CREATE INDEX idempotency_keys_expiry ON idempotency_keys (tenant_id, expires_at);
    `,
  },
  {
    version: 7,
    name: 'session-summaries',
    // Rolling summaries of a session's older turns (docs/decisions/0006-rolling-summary.md).
    sql: `
      CREATE TABLE session_summaries (
        tenant_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        up_to_seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        model TEXT NOT NULL,
        token_count INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, session_id, up_to_seq),
        FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 8,
    name: 'idempotency-leases',
    // The holder of an in-progress key and its lease (renewed while the turn runs): a key whose
    // holder died is taken over once its lease ends, instead of staying in progress until it expires.
    // Rows from before have no lease and are never taken over.
    sql: `
      ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
      ALTER TABLE idempotency_keys ADD COLUMN lease_expires_at TEXT;
    `,
  },
  {
    version: 11,
    name: 'usage-estimated',
    // 1 when the provider reported no usage and Enclave counted the tokens (docs/providers.md). Versions
    // 8 to 10 belong to other changes; this one depends on none of them (the runner applies each missing one).
    sql: `
      ALTER TABLE usage_records ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0 CHECK (estimated IN (0, 1));
    `,
  },
  {
    version: 10,
    name: 'agents',
    // Agents as a resource (docs/decisions/0007-agents-and-tenant-settings.md). The default agent's
    // versions stay in tenant_configs; these tables hold every other agent. A null agent_id on a
    // session, message or usage record means the default agent (every row written before agents).
    sql: `
      CREATE TABLE agents (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        current_version INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );

      CREATE TABLE agent_versions (
        tenant_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        config TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, agent_id, version),
        FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
      );

      ALTER TABLE sessions ADD COLUMN agent_id TEXT;
      ALTER TABLE messages ADD COLUMN agent_id TEXT;
      ALTER TABLE usage_records ADD COLUMN agent_id TEXT;
      CREATE INDEX sessions_agent ON sessions (tenant_id, agent_id) WHERE agent_id IS NOT NULL;
    `,
  },
  {
    version: 15,
    name: 'mcp-oauth',
    // OAuth grants of tenant MCP servers (src/tools/mcp/oauth, docs/tools-oauth.md): one row per
    // (tenant, server, user), user_key '' for a tenant-wide server. tokens and client_info are sealed
    // under the tenant's data key; version is the compare-and-swap of every write, and lease_owner /
    // lease_until the refresh lease that keeps replicas from racing a rotating refresh token.
    // step_up_scope is a scope the server demanded (403 insufficient_scope) for the next authorization.
    // mcp_oauth_states holds started authorizations (hashed state, sealed PKCE verifier), single use.
    // Both belong to an MCP server record (migration 14): deleting the server deletes its grants.
    sql: `
      CREATE TABLE mcp_oauth_grants (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        server_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        tokens TEXT,
        client_info TEXT,
        discovery TEXT,
        step_up_scope TEXT,
        expires_at INTEGER,
        version INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until INTEGER,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, server_id, user_key),
        FOREIGN KEY (tenant_id, server_id) REFERENCES mcp_servers (tenant_id, id) ON DELETE CASCADE
      );

      CREATE TABLE mcp_oauth_states (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        state_hash TEXT NOT NULL,
        server_id TEXT NOT NULL,
        user_key TEXT NOT NULL,
        code_verifier TEXT NOT NULL,
        context TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, state_hash),
        FOREIGN KEY (tenant_id, server_id) REFERENCES mcp_servers (tenant_id, id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 14,
    name: 'mcp-servers',
    // Tenant MCP servers (src/tools/mcp, docs/tools.md). auth holds the auth kind and header
    // templates ({{secret:NAME}} references, never values); name is the tool namespace, unique per
    // tenant. mcp_user_credentials holds each end user's credential for a per-user server, sealed
    // under the tenant's data key and bound to (tenant, server, user); deleting the server drops them.
    sql: `
      CREATE TABLE mcp_servers (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        transport TEXT NOT NULL,
        auth TEXT NOT NULL,
        tools TEXT,
        call_timeout_ms INTEGER,
        per_user_credentials INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, name)
      );

      CREATE TABLE mcp_user_credentials (
        tenant_id TEXT NOT NULL,
        server_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        sealed TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, server_id, user_id),
        FOREIGN KEY (tenant_id, server_id) REFERENCES mcp_servers (tenant_id, id) ON DELETE CASCADE
      );
    `,
  },
  {
    version: 13,
    name: 'responses',
    // A stored Responses API response (docs/openai-responses.md): the request settings a turn does not
    // keep itself (instructions, the model named, metadata, tools, previous response). The response's
    // items are the messages of turn \`turn_id\`; the row goes with its session, its user and its tenant.
    sql: `
      CREATE TABLE responses (
        tenant_id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        previous_turn_id TEXT,
        settings TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, turn_id)
      );
      CREATE INDEX responses_session ON responses (tenant_id, session_id);
    `,
  },
  {
    version: 16,
    name: 'console-sessions',
    // Web console sign-ins (docs/console.md). Only the SHA-256 of the cookie is stored, with the id of
    // the key that signed in (never the key): every use re-checks that key and its tenant. Tenant
    // sessions belong to the tenant (deleted with it); operator sessions belong to no tenant.
    sql: `
      CREATE TABLE console_sessions (
        tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        key_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, hash)
      );
      CREATE INDEX console_sessions_hash ON console_sessions (hash);
      CREATE TABLE operator_console_sessions (
        hash TEXT PRIMARY KEY,
        admin_key_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 17,
    name: 'session-forks',
    // A session forked from another at one of its turns (a Responses API branch from an older
    // response) records where it came from; both are null on every other session. No foreign key:
    // the origin may be deleted, and the fork keeps its own copy of the history.
    sql: `
      ALTER TABLE sessions ADD COLUMN forked_from_session_id TEXT;
      ALTER TABLE sessions ADD COLUMN forked_from_turn_id TEXT;
    `,
  },
  {
    version: 18,
    name: 'agents-by-name',
    // An OpenAI `model` names an agent by id or by name (docs/openai-compatibility.md), so every
    // chat completion or response that is not `default` looks the name up in its tenant: one index
    // probe, not a scan of the tenant's agents, already in id order. Names are not unique (the
    // lookup reports a clash).
    sql: `
      CREATE INDEX agents_name ON agents (tenant_id, name, id);
    `,
  },
  {
    version: 19,
    name: 'one-turn-index',
    // One index serves every lookup by turn: by turn id alone (GET /v1/turns/{id}, a response's
    // turn, erasure), and by turn id within a session (the legacy history join, a fork point). Two
    // were kept before, (tenant, session, turn) and (tenant, turn); each message insert paid for
    // both: 2–3 µs of a fresh-tenant legacy turn (docs/operations.md). Queries that list a
    // session's turns read them through the primary key (see sql-storage.ts).
    sql: `
      DROP INDEX messages_turn;
      DROP INDEX messages_turn_id;
      CREATE INDEX messages_turn ON messages (tenant_id, turn_id, session_id);
    `,
  },
];
