import type { Ids } from '../core/ids.ts';
import type { Storage } from '../core/ports.ts';
import { MESSAGE_COLUMNS, SESSION_COLUMNS, toSession } from './rows.ts';
import type { SqlDatabase, SqlValue } from './sql-database.ts';

const COLUMNS = MESSAGE_COLUMNS.split(',').map((column) => column.trim());
const INSERT_COPY = `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

/** `forkSession`: a session's history up to one of its turns, copied into a new session of the same tenant. */
export function createSqlSessionFork(database: SqlDatabase, now: () => Date, ids: Ids): Pick<Storage, 'forkSession'> {
  return {
    async forkSession(tenantId, fork) {
      return database.forTenant(tenantId).transaction(async (client) => {
        const source = await client.get(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND id = ?`, [
          tenantId,
          fork.sourceSessionId,
        ]);
        const through = await client.get<{ seq: number | null }>(
          // `+seq`: SQLite would otherwise walk the session's primary key for max(seq); the turn index finds the turn's rows.
          'SELECT max(+seq) AS seq FROM messages WHERE tenant_id = ? AND session_id = ? AND turn_id = ?',
          [tenantId, fork.sourceSessionId, fork.throughTurnId],
        );
        if (!source || through?.seq == null) return null;
        const lastSeq = Number(through.seq);
        const at = now().toISOString();
        await client.run(
          `INSERT INTO sessions (tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at, agent_id, forked_from_session_id, forked_from_turn_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            tenantId,
            fork.id,
            source.title ?? null,
            source.user_id ?? null,
            source.metadata ?? '{}',
            lastSeq,
            at,
            at,
            source.agent_id ?? null,
            fork.sourceSessionId,
            fork.throughTurnId,
          ],
        );
        const rows = await client.all(
          `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND session_id = ? AND seq <= ? ORDER BY seq`,
          [tenantId, fork.sourceSessionId, lastSeq],
        );
        // Message and turn ids are unique per tenant: every copy gets its own, and a turn's messages
        // keep pointing at their turn's (copied) user message.
        const turns = new Map<string, string>();
        for (const row of rows) {
          const turnId = String(row.turn_id);
          let copiedTurn = turns.get(turnId);
          if (!copiedTurn) {
            copiedTurn = ids.next('msg');
            turns.set(turnId, copiedTurn);
          }
          const copy: Record<string, SqlValue> = {
            ...row,
            session_id: fork.id,
            id: String(row.id) === turnId ? copiedTurn : ids.next('msg'),
            turn_id: copiedTurn,
          };
          await client.run(
            INSERT_COPY,
            COLUMNS.map((column) => copy[column] ?? null),
          );
        }
        const created = await client.get(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE tenant_id = ? AND id = ?`, [
          tenantId,
          fork.id,
        ]);
        return created ? toSession(created) : null;
      });
    },
  };
}
