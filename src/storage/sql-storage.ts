import type { Message, NewMessage } from '../core/conversations/message.ts';
import { messageText } from '../core/conversations/message.ts';
import { LEGACY_SESSION_ID, type NewSession } from '../core/conversations/session.ts';
import { AppError } from '../core/errors.ts';
import { createIds, type Ids, latestIdAt } from '../core/ids.ts';
import type { AdminStorage, ConsoleSessionStore, CredentialLookup, Interaction, Storage } from '../core/ports.ts';
import type { IdempotencyStore } from '../core/turns/idempotency.ts';
import { MESSAGE_COLUMNS, SESSION_COLUMNS, toMessage, toSession } from './rows.ts';
import { createSqlAgents, lockAgent } from './sql-agents.ts';
import { createSqlAudit } from './sql-audit.ts';
import { createSqlConfig } from './sql-config.ts';
import { createSqlConsoleSessions } from './sql-console-sessions.ts';
import { createSqlContext } from './sql-context.ts';
import type { SqlClient, SqlDatabase, SqlRow, SqlValue } from './sql-database.ts';
import { commitTurnClaim, createSqlIdempotency } from './sql-idempotency.ts';
import { type AsOwner, createSqlIdentity } from './sql-identity.ts';
import { createSqlResponses } from './sql-responses.ts';
import { createSqlSessionFork } from './sql-session-fork.ts';
import { createSqlTenantData } from './sql-tenant-data.ts';
import { createSqlTenants } from './sql-tenants.ts';
import { createSqlUsage, createSqlUsageAcrossTenants, insertUsage } from './sql-usage.ts';

const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

const INSERT_MESSAGE = `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${MESSAGE_COLUMNS.split(',')
  .map(() => '?')
  .join(', ')})`;

const INSERT_SESSION =
  'INSERT INTO sessions (tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at, agent_id) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)';

/**
 * The dialect-agnostic implementation of the Storage and AdminStorage ports over a
 * `SqlDatabase`. Every statement filters on `tenant_id` first.
 */
export function createSqlStorage(
  database: SqlDatabase,
  options: { now?: () => Date; ids?: Ids; asOwner?: AsOwner } = {},
): Storage & AdminStorage & CredentialLookup & IdempotencyStore & ConsoleSessionStore {
  const now = options.now ?? (() => new Date());
  const ids = options.ids ?? createIds();
  const messageParams = (tenantId: string, sessionId: string, seq: number, message: NewMessage, createdAt: string) =>
    [
      tenantId,
      sessionId,
      seq,
      message.id,
      message.turnId,
      message.role,
      message.status,
      JSON.stringify(message.content),
      message.toolCalls ? JSON.stringify(message.toolCalls) : null,
      message.final ? 1 : 0,
      message.usage?.inputTokens ?? null,
      message.usage?.outputTokens ?? null,
      message.usage?.totalTokens ?? null,
      message.model,
      message.latencyMs == null ? null : Math.round(message.latencyMs),
      message.requestId,
      message.configVersion,
      message.userId,
      createdAt,
      message.agentId ?? null,
    ] satisfies SqlValue[];

  /** Reserves `count` consecutive sequence numbers; the row update serialises concurrent turns. */
  async function reserveSeq(client: SqlClient, tenantId: string, sessionId: string, count: number, at: string) {
    const row = await client.get<{ last_seq: number }>(
      'UPDATE sessions SET last_seq = last_seq + ?, updated_at = ? WHERE tenant_id = ? AND id = ? RETURNING last_seq',
      [count, at, tenantId, sessionId],
    );
    // A missing session answers the same whether or not the tenant exists, so nothing leaks.
    if (!row) throw new AppError('SESSION_NOT_FOUND');
    return Number(row.last_seq) - count + 1;
  }

  async function insertMessages(
    client: SqlClient,
    tenantId: string,
    sessionId: string,
    messages: readonly NewMessage[],
    reserved?: { first: number; createdAt: string },
  ): Promise<Message[]> {
    const createdAt = reserved?.createdAt ?? now().toISOString();
    const first = reserved?.first ?? (await reserveSeq(client, tenantId, sessionId, messages.length, createdAt));
    const stored: Message[] = [];
    for (const [offset, message] of messages.entries()) {
      const seq = first + offset;
      await client.run(INSERT_MESSAGE, messageParams(tenantId, sessionId, seq, message, createdAt));
      stored.push({ ...message, tenantId, sessionId, seq, createdAt });
    }
    return stored;
  }

  /** Creates the session if missing and reserves one sequence number, in one statement. */
  async function upsertSessionReservingSeq(client: SqlClient, tenantId: string, session: NewSession, at: string) {
    const row = await client.get<{ last_seq: number }>(
      `INSERT INTO sessions (tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at, agent_id) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (tenant_id, id) DO UPDATE SET last_seq = sessions.last_seq + 1, updated_at = excluded.updated_at
       RETURNING last_seq`,
      [
        tenantId,
        session.id,
        session.title,
        session.userId,
        JSON.stringify(session.metadata),
        at,
        at,
        session.agentId ?? null,
      ],
    );
    return Number(row?.last_seq);
  }

  async function insertSession(client: SqlClient, tenantId: string, session: NewSession) {
    const at = now().toISOString();
    await client.run(INSERT_SESSION, [
      tenantId,
      session.id,
      session.title,
      session.userId,
      JSON.stringify(session.metadata),
      at,
      at,
      session.agentId ?? null,
    ]);
  }

  async function insertTenantIfMissing(client: SqlClient, tenantId: string) {
    await client.run('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING', [
      tenantId,
      tenantId,
      now().toISOString(),
    ]);
  }

  return {
    ...createSqlTenants(database, now),
    ...createSqlIdentity(database, now, options.asOwner),
    ...createSqlConsoleSessions(database, now),
    ...createSqlUsageAcrossTenants(database),
    ...createSqlConfig(database, now),
    ...createSqlUsage(database),
    ...createSqlAudit(database, now, ids),
    ...createSqlTenantData(database, now),
    ...createSqlIdempotency(database),
    ...createSqlContext(database, now),
    ...createSqlAgents(database, now),
    ...createSqlResponses(database, now),
    ...createSqlSessionFork(database, now, ids),

    async completeTurn(tenantId, sessionId, messages, usage, claim) {
      return database.forTenant(tenantId).transaction(async (client) => {
        // First: a claim taken over meanwhile stops the turn before anything is written.
        if (claim) await commitTurnClaim(client, tenantId, claim, usage.turnId);
        const stored = await insertMessages(client, tenantId, sessionId, messages);
        const createdAt = stored[0]?.createdAt ?? now().toISOString();
        await insertUsage(client, tenantId, usage, createdAt);
        return stored;
      });
    },

    async recordUsage(tenantId, usage, claim) {
      await database.forTenant(tenantId).transaction(async (client) => {
        if (claim) await commitTurnClaim(client, tenantId, claim, usage.turnId);
        await insertUsage(client, tenantId, usage, now().toISOString());
      });
    },

    async beginTurn(tenantId, input) {
      return database.forTenant(tenantId).transaction(async (client) => {
        if (input.createTenant) await insertTenantIfMissing(client, tenantId);
        let reserved: { first: number; createdAt: string } | undefined;
        if (input.createSession) {
          if (!input.createTenant) {
            const tenant = await client.get('SELECT 1 AS found FROM tenants WHERE id = ?', [tenantId]);
            if (!tenant) throw new AppError('TENANT_NOT_FOUND');
          }
          const createdAt = now().toISOString();
          const session = { ...input.createSession, id: input.sessionId };
          const first = await upsertSessionReservingSeq(client, tenantId, session, createdAt);
          reserved = { first, createdAt };
        }
        const [message] = await insertMessages(client, tenantId, input.sessionId, [input.message], reserved);
        return message as Message;
      });
    },

    async appendMessages(tenantId, sessionId, messages) {
      if (messages.length === 0) return [];
      return database
        .forTenant(tenantId)
        .transaction((client) => insertMessages(client, tenantId, sessionId, messages));
    },

    async createSession(tenantId, session, options) {
      return database.forTenant(tenantId).transaction(async (client) => {
        if (options.createTenant) await insertTenantIfMissing(client, tenantId);
        const tenant = await client.get('SELECT 1 AS found FROM tenants WHERE id = ?', [tenantId]);
        if (!tenant) throw new AppError('TENANT_NOT_FOUND');
        // Locked so that a concurrent delete of the agent either sees this session or came first.
        if (session.agentId && !(await lockAgent(client, tenantId, session.agentId))) {
          throw new AppError('AGENT_NOT_FOUND');
        }
        await insertSession(client, tenantId, session);
        const row = await client.get(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND id = ?`, [
          tenantId,
          session.id,
        ]);
        return toSession(row as SqlRow);
      });
    },

    async getSession(tenantId, sessionId) {
      const row = await database
        .forTenant(tenantId)
        .get(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND id = ?`, [tenantId, sessionId]);
      return row ? toSession(row) : null;
    },

    async listSessions(tenantId, { limit, beforeId }) {
      // Session ids are `ses_<ULID>`, so id order is creation order, and the primary key serves the
      // page. The legacy session's fixed id is the exception: 'l' sorts after every ULID character,
      // so it would head every page. It is listed by its creation time instead.
      const tenant = database.forTenant(tenantId);
      const legacyRow = await tenant.get(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND id = ?`, [
        tenantId,
        LEGACY_SESSION_ID,
      ]);
      const legacy = legacyRow ? toSession(legacyRow) : null;
      const legacyKey = legacy ? latestIdAt('ses', Date.parse(legacy.createdAt)) : null;
      const before = beforeId === LEGACY_SESSION_ID ? legacyKey : beforeId;
      const rows =
        before === null
          ? await tenant.all(
              `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND id <> ? ORDER BY id DESC LIMIT ?`,
              [tenantId, LEGACY_SESSION_ID, limit],
            )
          : await tenant.all(
              `SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND id <> ? AND id < ? ORDER BY id DESC LIMIT ?`,
              [tenantId, LEGACY_SESSION_ID, before, limit],
            );
      const sessions = rows.map(toSession);
      if (legacy && legacyKey !== null && (before === null || legacyKey < before)) {
        const position = sessions.findIndex((session) => session.id < legacyKey);
        sessions.splice(position === -1 ? sessions.length : position, 0, legacy);
      }
      return sessions.slice(0, limit);
    },

    async deleteSession(tenantId, sessionId) {
      return database.forTenant(tenantId).transaction(async (client) => {
        const turns = await client.all<{ turn_id: string }>(
          // `seq > 0` (every seq) steers SQLite to the session's primary-key range: with only the
          // tenant and session, it would scan the tenant's whole turn index, which covers turn_id.
          'SELECT DISTINCT turn_id FROM messages WHERE tenant_id = ? AND session_id = ? AND seq > 0',
          [tenantId, sessionId],
        );
        await client.run('DELETE FROM session_summaries WHERE tenant_id = ? AND session_id = ?', [tenantId, sessionId]);
        await client.run('DELETE FROM responses WHERE tenant_id = ? AND session_id = ?', [tenantId, sessionId]);
        await client.run('DELETE FROM messages WHERE tenant_id = ? AND session_id = ?', [tenantId, sessionId]);
        const result = await client.run('DELETE FROM sessions WHERE tenant_id = ? AND id = ?', [tenantId, sessionId]);
        return result.changes > 0 ? { turnIds: turns.map((row) => String(row.turn_id)) } : null;
      });
    },

    async listMessages(tenantId, sessionId, { limit, cursorSeq, order }) {
      const sql =
        order === 'asc'
          ? `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND session_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?`
          : `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`;
      const cursor = cursorSeq ?? (order === 'asc' ? 0 : NO_UPPER_BOUND);
      const rows = await database.forTenant(tenantId).all(sql, [tenantId, sessionId, cursor, limit]);
      return rows.map(toMessage);
    },

    async getTurn(tenantId, turnId) {
      // A turn lives in one session, so `seq` orders it; index messages_turn (tenant, turn, session).
      const rows = await database
        .forTenant(tenantId)
        .all(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND turn_id = ? ORDER BY seq ASC`, [
          tenantId,
          turnId,
        ]);
      return rows.map(toMessage);
    },

    async listInteractions(tenantId, sessionId, { limit, beforeSeq }) {
      const rows = await database.forTenant(tenantId).all<{ seq: number; message: string; response: string }>(
        `SELECT u.seq AS seq, u.content AS message, a.content AS response
           FROM messages u
           JOIN messages a ON a.tenant_id = u.tenant_id AND a.session_id = u.session_id AND a.turn_id = u.id AND a.final = 1
          WHERE u.tenant_id = ? AND u.session_id = ? AND u.role = 'user' AND u.seq < ?
          ORDER BY u.seq DESC LIMIT ?`,
        [tenantId, sessionId, beforeSeq ?? NO_UPPER_BOUND, limit],
      );
      return rows.map(
        (row): Interaction => ({
          seq: Number(row.seq),
          message: messageText(JSON.parse(row.message)),
          response: messageText(JSON.parse(row.response)),
        }),
      );
    },

    async ping() {
      await database.get('SELECT 1 AS ok');
    },

    close: () => database.close(),
  };
}
