import type { ContentPart } from '../core/conversations/message.ts';
import { messageText } from '../core/conversations/message.ts';
import type { ContextMessage, SessionSummary, Storage } from '../core/ports.ts';
import type { SqlDatabase, SqlRow } from './sql-database.ts';
import { insertUsage } from './sql-usage.ts';

type ContextMethods = Pick<
  Storage,
  'contextMessages' | 'contextWindow' | 'latestSessionSummary' | 'saveSessionSummary' | 'searchMessages'
>;

/**
 * User messages, completed final replies, and the completed tool-call steps and tool results of a
 * turn. A failed or cancelled turn's partial reply never reaches a context.
 */
const CONTEXT_FILTER = `(role = 'user' OR (status = 'completed' AND (final = 1 OR role = 'tool' OR tool_calls IS NOT NULL)))`;

/** `value` as a LIKE pattern that matches it literally anywhere, with `\` as the escape character. */
export function containsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/**
 * Whether a message's text parts contain the pattern. `content` is a JSON array of parts, so the
 * match runs on each text part's value, never on the JSON around it (a search for `type` must not
 * find every message). ILIKE on PostgreSQL folds case in any script; LIKE on SQLite folds ASCII only.
 */
function textMatches(dialect: SqlDatabase['dialect']): string {
  return dialect === 'postgres'
    ? `EXISTS (SELECT 1 FROM jsonb_array_elements(m.content::jsonb) AS part
                WHERE part->>'type' = 'text' AND part->>'text' ILIKE ? ESCAPE '\\')`
    : `EXISTS (SELECT 1 FROM json_each(m.content) AS part
                WHERE json_extract(part.value, '$.type') = 'text' AND json_extract(part.value, '$.text') LIKE ? ESCAPE '\\')`;
}

const LATEST_SUMMARY =
  'SELECT session_id, up_to_seq, text, model, token_count, created_at FROM session_summaries WHERE tenant_id = ? AND session_id = ? ORDER BY up_to_seq DESC LIMIT 1';

const contextSql = (order: 'asc' | 'desc') => `SELECT seq, turn_id, role, content FROM messages
  WHERE tenant_id = ? AND session_id = ? AND seq > ? AND seq < ? AND ${CONTEXT_FILTER}
  ORDER BY seq ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;

function toContextMessage(row: SqlRow): ContextMessage {
  return {
    seq: Number(row.seq),
    turnId: String(row.turn_id),
    role: row.role as ContextMessage['role'],
    content: JSON.parse(String(row.content)) as ContentPart[],
  };
}

function toSummary(row: SqlRow): SessionSummary {
  return {
    sessionId: String(row.session_id),
    upToSeq: Number(row.up_to_seq),
    text: String(row.text),
    model: String(row.model),
    tokenCount: Number(row.token_count),
    createdAt: String(row.created_at),
  };
}

/** What the context builder, the rolling summary and the `search_history` tool read and write. */
export function createSqlContext(database: SqlDatabase, now: () => Date): ContextMethods {
  return {
    async contextMessages(tenantId, sessionId, { afterSeq, beforeSeq, limit, order }) {
      const rows = await database
        .forTenant(tenantId)
        .all(contextSql(order), [tenantId, sessionId, afterSeq, beforeSeq, limit]);
      return rows.map(toContextMessage);
    },

    async latestSessionSummary(tenantId, sessionId) {
      const row = await database.forTenant(tenantId).get(LATEST_SUMMARY, [tenantId, sessionId]);
      return row ? toSummary(row) : null;
    },

    async contextWindow(tenantId, sessionId, { beforeSeq, limit, withSummary }) {
      return database.forTenant(tenantId).read(async (client) => {
        const row = withSummary ? await client.get(LATEST_SUMMARY, [tenantId, sessionId]) : undefined;
        const summary = row ? toSummary(row) : null;
        const rows = await client.all(contextSql('desc'), [
          tenantId,
          sessionId,
          summary?.upToSeq ?? 0,
          beforeSeq,
          limit,
        ]);
        return { summary, messages: rows.map(toContextMessage) };
      });
    },

    async saveSessionSummary(tenantId, summary, usage) {
      const createdAt = now().toISOString();
      return database.forTenant(tenantId).transaction(async (client) => {
        const inserted = await client.run(
          `INSERT INTO session_summaries (tenant_id, session_id, up_to_seq, text, model, token_count, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, session_id, up_to_seq) DO NOTHING`,
          [tenantId, summary.sessionId, summary.upToSeq, summary.text, summary.model, summary.tokenCount, createdAt],
        );
        // The loser of a race charges nothing: its summary was not kept. (The call was made, but
        // charging for a summary nobody uses would bill the tenant for our race.)
        if (inserted.changes === 0) return false;
        await insertUsage(client, tenantId, usage, createdAt);
        return true;
      });
    },

    async searchMessages(tenantId, { query, sessionId, excludeTurnId, limit }) {
      const conditions = ['m.tenant_id = ?', "m.role IN ('user', 'assistant')"];
      const params: (string | number)[] = [tenantId];
      if (sessionId !== null) {
        conditions.push('m.session_id = ?');
        params.push(sessionId);
      }
      if (excludeTurnId !== null) {
        conditions.push('m.turn_id <> ?');
        params.push(excludeTurnId);
      }
      conditions.push(textMatches(database.dialect));
      params.push(containsPattern(query), limit);
      const rows = await database.forTenant(tenantId).all<{
        session_id: string;
        seq: number;
        role: string;
        content: string;
        created_at: string;
      }>(
        `SELECT m.session_id, m.seq, m.role, m.content, m.created_at FROM messages m
          WHERE ${conditions.join(' AND ')}
          ORDER BY m.created_at DESC, m.session_id DESC, m.seq DESC LIMIT ?`,
        params,
      );
      return rows.map((row) => ({
        sessionId: String(row.session_id),
        seq: Number(row.seq),
        role: row.role as 'user' | 'assistant',
        text: messageText(JSON.parse(row.content) as ContentPart[]),
        createdAt: String(row.created_at),
      }));
    },
  };
}
