import type { IdempotencyRecord, IdempotencyStatus, IdempotencyStore } from '../core/turns/idempotency.ts';
import type { SqlDatabase, SqlRow } from './sql-database.ts';

const COLUMNS = 'key, fingerprint, status, turn_id, response_status, response_body, created_at, expires_at';

function toRecord(row: SqlRow): IdempotencyRecord {
  const status = String(row.status) as IdempotencyStatus;
  return {
    key: String(row.key),
    fingerprint: String(row.fingerprint),
    status,
    response:
      status === 'in_progress' || row.response_status == null
        ? null
        : {
            status: Number(row.response_status),
            body: JSON.parse(String(row.response_body)),
            turnId: row.turn_id == null ? null : String(row.turn_id),
          },
    createdAt: String(row.created_at),
    expiresAt: String(row.expires_at),
  };
}

/**
 * Idempotency keys, one row per (tenant, key), every statement in the tenant's scope. A claim is a
 * single INSERT … ON CONFLICT that takes over the existing row only when it has expired, so two
 * requests (on any replica) can never both claim one live key.
 */
export function createSqlIdempotency(database: SqlDatabase): IdempotencyStore {
  return {
    async claimIdempotencyKey(tenantId, claim) {
      const result = await database.forTenant(tenantId).run(
        `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, claim_token, user_id, created_at, expires_at)
         VALUES (?, ?, ?, 'in_progress', ?, ?, ?, ?)
         ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = 'in_progress',
           claim_token = excluded.claim_token, user_id = excluded.user_id, turn_id = NULL, response_status = NULL,
           response_body = NULL,
           created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= excluded.created_at`,
        [tenantId, claim.key, claim.fingerprint, claim.token, claim.userId, claim.createdAt, claim.expiresAt],
      );
      return result.changes > 0;
    },

    async getIdempotencyKey(tenantId, key, now) {
      const row = await database
        .forTenant(tenantId)
        .get(`SELECT ${COLUMNS} FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND expires_at > ?`, [
          tenantId,
          key,
          now,
        ]);
      return row ? toRecord(row) : null;
    },

    async completeIdempotencyKey(tenantId, key, token, { status, response }) {
      await database
        .forTenant(tenantId)
        .run(
          `UPDATE idempotency_keys SET status = ?, turn_id = ?, response_status = ?, response_body = ? WHERE tenant_id = ? AND key = ? AND claim_token = ? AND status = 'in_progress'`,
          [status, response.turnId, response.status, JSON.stringify(response.body), tenantId, key, token],
        );
    },

    async releaseIdempotencyKey(tenantId, key, token) {
      await database
        .forTenant(tenantId)
        .run(
          `DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ? AND claim_token = ? AND status = 'in_progress'`,
          [tenantId, key, token],
        );
    },

    async deleteExpiredIdempotencyKeys(tenantId, now, limit) {
      // A bounded delete both dialects accept (SQLite has DELETE … LIMIT only as a build option).
      const result = await database
        .forTenant(tenantId)
        .run(
          'DELETE FROM idempotency_keys WHERE tenant_id = ? AND key IN (SELECT key FROM idempotency_keys WHERE tenant_id = ? AND expires_at <= ? LIMIT ?)',
          [tenantId, tenantId, now, limit],
        );
      return result.changes;
    },
  };
}
