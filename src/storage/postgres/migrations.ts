import type { Migration } from '../migrate.ts';

/** Text compared byte by byte, so id ordering and keyset cursors match SQLite whatever the database collation. */
const ID = 'TEXT COLLATE "C"';

interface TenantTable {
  table: string;
  /** The column that names the tenant. */
  column: string;
}

/** The tenant tables that migration 1 creates. Never edit: later tables add their policies in their own migration. */
const V1_TABLES: readonly TenantTable[] = [
  { table: 'tenants', column: 'id' },
  { table: 'sessions', column: 'tenant_id' },
  { table: 'messages', column: 'tenant_id' },
  { table: 'api_keys', column: 'tenant_id' },
  { table: 'api_key_lookup', column: 'tenant_id' },
  { table: 'tenant_configs', column: 'tenant_id' },
  { table: 'usage_records', column: 'tenant_id' },
  { table: 'audit_log', column: 'tenant_id' },
  { table: 'tenant_data_keys', column: 'tenant_id' },
  { table: 'tenant_secrets', column: 'tenant_id' },
];

/** Idempotency keys (migration 6). */
const IDEMPOTENCY_KEYS: TenantTable = { table: 'idempotency_keys', column: 'tenant_id' };

/** Agents and their versions (migration 10). */
const AGENTS: TenantTable = { table: 'agents', column: 'tenant_id' };
const AGENT_VERSIONS: TenantTable = { table: 'agent_versions', column: 'tenant_id' };

/** OAuth grants and started authorizations of tenant MCP servers (migration 15). */
const MCP_OAUTH_GRANTS: TenantTable = { table: 'mcp_oauth_grants', column: 'tenant_id' };
const MCP_OAUTH_STATES: TenantTable = { table: 'mcp_oauth_states', column: 'tenant_id' };
/** Tenant MCP servers and their per-end-user credentials (migration 14). */
const MCP_SERVERS: TenantTable = { table: 'mcp_servers', column: 'tenant_id' };
const MCP_USER_CREDENTIALS: TenantTable = { table: 'mcp_user_credentials', column: 'tenant_id' };
/** Stored Responses API responses (migration 13). */
const RESPONSES: TenantTable = { table: 'responses', column: 'tenant_id' };
/** Web console sessions of tenant keys (migration 16). */
const CONSOLE_SESSIONS: TenantTable = { table: 'console_sessions', column: 'tenant_id' };

/**
 * Every table that holds tenant rows, across all migrations. A new tenant table goes here and gets
 * `rowLevelSecurity(…)` in the migration that creates it; the RLS test fails for any table with a
 * `tenant_id` column that is missing.
 */
export const RLS_TABLES: readonly TenantTable[] = [
  ...V1_TABLES,
  { table: 'session_summaries', column: 'tenant_id' },
  IDEMPOTENCY_KEYS,
  AGENTS,
  AGENT_VERSIONS,
  MCP_OAUTH_GRANTS,
  MCP_OAUTH_STATES,
  MCP_SERVERS,
  MCP_USER_CREDENTIALS,
  RESPONSES,
  CONSOLE_SESSIONS,
];

/**
 * Row-level security for one table: ENABLE and FORCE (the owner is bound too), a policy that
 * admits only the transaction's `app.tenant_id` (unset fails closed: no rows), and the explicit
 * platform path: the migrating role, which owns the SECURITY DEFINER functions below, may read
 * across tenants. The runtime role is never that role (the server refuses to start as it).
 */
export function rowLevelSecurity({ table, column }: TenantTable): string {
  return `
    ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE ${table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON ${table}
      USING (${column} = current_setting('app.tenant_id', true))
      WITH CHECK (${column} = current_setting('app.tenant_id', true));
    CREATE POLICY platform_functions ON ${table} TO CURRENT_USER USING (true) WITH CHECK (true);`;
}

/**
 * PostgreSQL schema, forward-only (never edit a migration that has shipped; add the next one).
 * Same tables and columns as SQLite. `tenant_id` leads every primary key, unique constraint,
 * foreign key and index of a tenant table, so each table can be distributed by `tenant_id` on
 * Citus; `api_key_lookup` (hash → tenant, key) and `admin_keys` are platform tables (Citus
 * reference tables).
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'schema-with-row-level-security',
    sql: `
      CREATE TABLE tenants (
        id ${ID} NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        updated_at TEXT,
        config_version BIGINT NOT NULL DEFAULT 0
      );

      CREATE TABLE sessions (
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id ${ID} NOT NULL,
        title TEXT,
        user_id ${ID},
        metadata TEXT NOT NULL DEFAULT '{}',
        last_seq BIGINT NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX sessions_user ON sessions (tenant_id, user_id) WHERE user_id IS NOT NULL;

      CREATE TABLE messages (
        tenant_id ${ID} NOT NULL,
        session_id ${ID} NOT NULL,
        seq BIGINT NOT NULL,
        id ${ID} NOT NULL,
        turn_id ${ID} NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
        status TEXT NOT NULL CHECK (status IN ('completed', 'failed', 'cancelled')),
        content TEXT NOT NULL,
        tool_calls TEXT,
        final BIGINT NOT NULL DEFAULT 0,
        input_tokens BIGINT,
        output_tokens BIGINT,
        total_tokens BIGINT,
        model TEXT,
        latency_ms BIGINT,
        request_id TEXT,
        created_at TEXT NOT NULL,
        config_version BIGINT,
        user_id ${ID},
        PRIMARY KEY (tenant_id, session_id, seq),
        UNIQUE (tenant_id, id),
        FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
      );
      CREATE INDEX messages_turn ON messages (tenant_id, session_id, turn_id);
      CREATE INDEX messages_user ON messages (tenant_id, user_id) WHERE user_id IS NOT NULL;

      CREATE TABLE api_keys (
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id ${ID} NOT NULL,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash ${ID} NOT NULL,
        scopes TEXT NOT NULL,
        limits TEXT,
        expires_at TEXT,
        last_used_at TEXT,
        revoked_at TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, hash)
      );

      -- The one lookup that cannot start from a tenant. Kept by triggers on api_keys.
      CREATE TABLE api_key_lookup (
        hash ${ID} NOT NULL PRIMARY KEY,
        tenant_id ${ID} NOT NULL,
        key_id ${ID} NOT NULL
      );

      CREATE TABLE admin_keys (
        id ${ID} NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        hash ${ID} NOT NULL UNIQUE,
        revoked_at TEXT,
        created_at TEXT NOT NULL
      );

      CREATE TABLE tenant_configs (
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        version BIGINT NOT NULL,
        config TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, version)
      );

      CREATE TABLE usage_records (
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id ${ID} NOT NULL,
        session_id ${ID} NOT NULL,
        turn_id ${ID} NOT NULL,
        key_id ${ID},
        user_id ${ID},
        model TEXT NOT NULL,
        config_version BIGINT NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        total_tokens BIGINT NOT NULL,
        tool_calls BIGINT NOT NULL,
        latency_ms BIGINT NOT NULL,
        status TEXT NOT NULL,
        day ${ID} NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX usage_records_day ON usage_records (tenant_id, day, model);

      CREATE TABLE audit_log (
        tenant_id ${ID} NOT NULL,
        id ${ID} NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        request_id TEXT,
        details TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );

      CREATE TABLE tenant_data_keys (
        tenant_id ${ID} NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        wrapped_key TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE tenant_secrets (
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        name ${ID} NOT NULL,
        ciphertext TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, name)
      );

      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

      -- The lookup row follows its key. Runs as the caller, inside the caller's tenant scope.
      CREATE FUNCTION api_key_lookup_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO api_key_lookup (hash, tenant_id, key_id) VALUES (NEW.hash, NEW.tenant_id, NEW.id);
          RETURN NEW;
        END IF;
        DELETE FROM api_key_lookup WHERE hash = OLD.hash AND tenant_id = OLD.tenant_id;
        RETURN OLD;
      END $$;
      CREATE TRIGGER api_key_lookup_insert AFTER INSERT ON api_keys
        FOR EACH ROW EXECUTE FUNCTION api_key_lookup_sync();
      CREATE TRIGGER api_key_lookup_delete AFTER DELETE ON api_keys
        FOR EACH ROW EXECUTE FUNCTION api_key_lookup_sync();

      ${V1_TABLES.map(rowLevelSecurity).join('\n')}

      -- The explicit cross-tenant paths. SECURITY DEFINER runs them as the migrating role, the
      -- only role the platform_functions policies admit. search_path is pinned to this schema with
      -- pg_temp last, so a caller's temporary table can never stand in for ours.
      DO $do$
      BEGIN
        EXECUTE format($f$
          CREATE FUNCTION enclave_find_api_key(p_hash text) RETURNS SETOF api_keys
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
              SELECT k.* FROM api_key_lookup l
                JOIN api_keys k ON k.tenant_id = l.tenant_id AND k.id = l.key_id
               WHERE l.hash = p_hash
            $body$;
          CREATE FUNCTION enclave_list_tenants() RETURNS SETOF tenants
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
              SELECT * FROM tenants
            $body$;
        $f$, current_schema());
      END $do$;
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
        tenant_id ${ID} NOT NULL,
        key ${ID} NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed')),
        claim_token TEXT NOT NULL,
        user_id ${ID},
        turn_id ${ID},
        response_status BIGINT,
        response_body TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, key)
      );
      CREATE INDEX idempotency_keys_expiry ON idempotency_keys (tenant_id, expires_at);
      ${rowLevelSecurity(IDEMPOTENCY_KEYS)}
    `,
  },
  {
    version: 7,
    name: 'session-summaries',
    // Rolling summaries of a session's older turns (docs/decisions/0006-rolling-summary.md).
    sql: `
      CREATE TABLE session_summaries (
        tenant_id ${ID} NOT NULL,
        session_id ${ID} NOT NULL,
        up_to_seq BIGINT NOT NULL,
        text TEXT NOT NULL,
        model TEXT NOT NULL,
        token_count BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, session_id, up_to_seq),
        FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
      );
      ${rowLevelSecurity({ table: 'session_summaries', column: 'tenant_id' })}
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
    version: 9,
    name: 'admin-keys-owner-only-and-jwt-secret-scan',
    // admin_keys has no tenant and no RLS: a role that could write it could mint an admin key. The
    // runtime role keeps only what the server needs, a lookup by hash (and a list without hashes,
    // for `enclave admin-key list`), through SECURITY DEFINER functions; creating and revoking
    // admin keys runs as the owner (`enclave admin-key create|revoke` with DATABASE_MIGRATION_URL).
    // Every privilege the owner granted on the table (the runtime role's, from `enclave db init`'s
    // default privileges) is revoked; `enclave db init` no longer grants it. Also the one
    // cross-tenant read the move of inline JWT secrets into the secrets store needs (tenant ids only).
    sql: `
      DO $do$
      DECLARE
        grantee_name text;
      BEGIN
        EXECUTE format($f$
          CREATE FUNCTION enclave_find_admin_key(p_hash text)
            RETURNS TABLE (id text, name text, revoked_at text, created_at text)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
              SELECT k.id, k.name, k.revoked_at, k.created_at FROM admin_keys k WHERE k.hash = p_hash
            $body$;
          CREATE FUNCTION enclave_tenants_with_inline_jwt_secrets() RETURNS TABLE (tenant_id text)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
              SELECT DISTINCT c.tenant_id FROM tenant_configs c WHERE c.config::jsonb -> 'jwt' -> 'secret' IS NOT NULL
            $body$;
          CREATE FUNCTION enclave_list_admin_keys()
            RETURNS TABLE (id text, name text, revoked_at text, created_at text)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
              SELECT k.id, k.name, k.revoked_at, k.created_at FROM admin_keys k ORDER BY k.id
            $body$;
        $f$, current_schema());
        FOR grantee_name IN
          SELECT DISTINCT acl.grantee::regrole::text
            FROM pg_class c, aclexplode(c.relacl) acl
           WHERE c.oid = 'admin_keys'::regclass AND acl.grantee <> c.relowner AND acl.grantee <> 0
        LOOP
          EXECUTE format('REVOKE ALL ON admin_keys FROM %s', grantee_name);
        END LOOP;
        REVOKE ALL ON admin_keys FROM PUBLIC;
      END $do$;
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
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id ${ID} NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        current_version BIGINT NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );

      CREATE TABLE agent_versions (
        tenant_id ${ID} NOT NULL,
        agent_id ${ID} NOT NULL,
        version BIGINT NOT NULL,
        config TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, agent_id, version),
        FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
      );

      ALTER TABLE sessions ADD COLUMN agent_id ${ID};
      ALTER TABLE messages ADD COLUMN agent_id ${ID};
      ALTER TABLE usage_records ADD COLUMN agent_id ${ID};
      CREATE INDEX sessions_agent ON sessions (tenant_id, agent_id) WHERE agent_id IS NOT NULL;
      ${rowLevelSecurity(AGENTS)}
      ${rowLevelSecurity(AGENT_VERSIONS)}
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
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        server_id ${ID} NOT NULL,
        user_key ${ID} NOT NULL,
        tokens TEXT,
        client_info TEXT,
        discovery TEXT,
        step_up_scope TEXT,
        expires_at BIGINT,
        version BIGINT NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until BIGINT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, server_id, user_key),
        FOREIGN KEY (tenant_id, server_id) REFERENCES mcp_servers (tenant_id, id) ON DELETE CASCADE
      );

      CREATE TABLE mcp_oauth_states (
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        state_hash TEXT NOT NULL,
        server_id ${ID} NOT NULL,
        user_key ${ID} NOT NULL,
        code_verifier TEXT NOT NULL,
        context TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, state_hash),
        FOREIGN KEY (tenant_id, server_id) REFERENCES mcp_servers (tenant_id, id) ON DELETE CASCADE
      );
      ${rowLevelSecurity(MCP_OAUTH_GRANTS)}
      ${rowLevelSecurity(MCP_OAUTH_STATES)}
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
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id ${ID} NOT NULL,
        name ${ID} NOT NULL,
        url TEXT NOT NULL,
        transport TEXT NOT NULL,
        auth TEXT NOT NULL,
        tools TEXT,
        call_timeout_ms BIGINT,
        per_user_credentials INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, name)
      );

      CREATE TABLE mcp_user_credentials (
        tenant_id ${ID} NOT NULL,
        server_id ${ID} NOT NULL,
        user_id ${ID} NOT NULL,
        sealed TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, server_id, user_id),
        FOREIGN KEY (tenant_id, server_id) REFERENCES mcp_servers (tenant_id, id) ON DELETE CASCADE
      );
      ${rowLevelSecurity(MCP_SERVERS)}
      ${rowLevelSecurity(MCP_USER_CREDENTIALS)}
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
        tenant_id ${ID} NOT NULL,
        turn_id ${ID} NOT NULL,
        session_id ${ID} NOT NULL,
        previous_turn_id ${ID},
        settings TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, turn_id)
      );
      CREATE INDEX responses_session ON responses (tenant_id, session_id);
      ${rowLevelSecurity(RESPONSES)}
    `,
  },
  {
    version: 16,
    name: 'console-sessions',
    // Web console sign-ins (docs/console.md). Only the SHA-256 of the cookie is stored, with the id of
    // the key that signed in (never the key). Tenant sessions are a tenant table under RLS; a cookie
    // names no tenant until it is found, so the lookup is a SECURITY DEFINER function over the hash
    // index (as for API keys). Operator sessions belong to no tenant: a platform table. Operator
    // usage across tenants is another explicit cross-tenant path (sums only, by tenant, day, model).
    sql: `
      CREATE TABLE console_sessions (
        tenant_id ${ID} NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        key_id ${ID} NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, hash)
      );
      CREATE INDEX console_sessions_hash ON console_sessions (hash);
      CREATE TABLE operator_console_sessions (
        hash TEXT PRIMARY KEY,
        admin_key_id ${ID} NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      ${rowLevelSecurity(CONSOLE_SESSIONS)}
      DO $do$
      BEGIN
        EXECUTE format($f$
          CREATE FUNCTION enclave_find_console_session(p_hash text)
            RETURNS TABLE (tenant_id text, key_id text, created_at text, expires_at text)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
              SELECT s.tenant_id, s.key_id, s.created_at, s.expires_at FROM console_sessions s WHERE s.hash = p_hash
            $body$;
          CREATE FUNCTION enclave_usage_across_tenants(p_from text, p_to text)
            RETURNS TABLE (tenant_id text, day text, model text, turns bigint, input_tokens bigint,
                           output_tokens bigint, total_tokens bigint, tool_calls bigint)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = %1$I, pg_temp AS $body$
              SELECT u.tenant_id, u.day, u.model, sum(CASE WHEN u.status = 'summary' THEN 0 ELSE 1 END),
                     sum(u.input_tokens), sum(u.output_tokens), sum(u.total_tokens), sum(u.tool_calls)
                FROM usage_records u WHERE u.day >= p_from AND u.day <= p_to
               GROUP BY u.tenant_id, u.day, u.model ORDER BY u.tenant_id, u.day, u.model
            $body$;
        $f$, current_schema());
      END $do$;
    `,
  },
  {
    version: 17,
    name: 'session-forks',
    // A session forked from another at one of its turns (a Responses API branch from an older
    // response) records where it came from; both are null on every other session. No foreign key:
    // the origin may be deleted, and the fork keeps its own copy of the history.
    sql: `
      ALTER TABLE sessions ADD COLUMN forked_from_session_id ${ID};
      ALTER TABLE sessions ADD COLUMN forked_from_turn_id ${ID};
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
];
