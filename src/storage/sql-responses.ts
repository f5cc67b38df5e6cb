import type { Storage } from '../core/ports.ts';
import type { ResponseSettings, StoredResponse } from '../core/responses/stored-response.ts';
import { MESSAGE_COLUMNS, toMessage } from './rows.ts';
import type { SqlDatabase, SqlRow } from './sql-database.ts';

type ResponseMethods = Pick<
  Storage,
  | 'saveResponse'
  | 'getResponse'
  | 'deleteResponse'
  | 'setSessionMetadata'
  | 'getSessionMessage'
  | 'deleteSessionMessage'
>;

function toStoredResponse(row: SqlRow): StoredResponse {
  const stored = JSON.parse(String(row.settings)) as ResponseSettings & { conversation?: boolean };
  const { conversation, ...settings } = stored;
  return {
    turnId: String(row.turn_id),
    sessionId: String(row.session_id),
    previousTurnId: row.previous_turn_id == null ? null : String(row.previous_turn_id),
    conversation: conversation === true,
    settings,
    createdAt: String(row.created_at),
  };
}

/** Stored Responses API responses, and the conversation-item writes on sessions. */
export function createSqlResponses(database: SqlDatabase, now: () => Date): ResponseMethods {
  return {
    async saveResponse(tenantId, response) {
      const createdAt = now().toISOString();
      await database
        .forTenant(tenantId)
        .run(
          'INSERT INTO responses (tenant_id, turn_id, session_id, previous_turn_id, settings, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          [
            tenantId,
            response.turnId,
            response.sessionId,
            response.previousTurnId,
            JSON.stringify({ ...response.settings, conversation: response.conversation }),
            createdAt,
          ],
        );
      return { ...response, createdAt };
    },

    async getResponse(tenantId, turnId) {
      const row = await database
        .forTenant(tenantId)
        .get('SELECT * FROM responses WHERE tenant_id = ? AND turn_id = ?', [tenantId, turnId]);
      return row ? toStoredResponse(row) : null;
    },

    async deleteResponse(tenantId, turnId) {
      return database.forTenant(tenantId).transaction(async (client) => {
        const result = await client.run('DELETE FROM responses WHERE tenant_id = ? AND turn_id = ?', [
          tenantId,
          turnId,
        ]);
        if (result.changes === 0) return false;
        await client.run('DELETE FROM messages WHERE tenant_id = ? AND turn_id = ?', [tenantId, turnId]);
        return true;
      });
    },

    async setSessionMetadata(tenantId, sessionId, metadata) {
      const result = await database
        .forTenant(tenantId)
        .run('UPDATE sessions SET metadata = ?, updated_at = ? WHERE tenant_id = ? AND id = ?', [
          JSON.stringify(metadata),
          now().toISOString(),
          tenantId,
          sessionId,
        ]);
      return result.changes > 0;
    },

    async getSessionMessage(tenantId, sessionId, messageId) {
      const row = await database
        .forTenant(tenantId)
        .get(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ? AND session_id = ? AND id = ?`, [
          tenantId,
          sessionId,
          messageId,
        ]);
      return row ? toMessage(row) : null;
    },

    async deleteSessionMessage(tenantId, sessionId, messageId) {
      const result = await database
        .forTenant(tenantId)
        .run('DELETE FROM messages WHERE tenant_id = ? AND session_id = ? AND id = ?', [
          tenantId,
          sessionId,
          messageId,
        ]);
      return result.changes > 0;
    },
  };
}
