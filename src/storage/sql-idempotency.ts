import { AppError } from '../core/errors.ts';
import type { IdempotencyRecord, IdempotencyStatus, IdempotencyStore, TurnClaim } from '../core/turns/idempotency.ts';
import type { SqlClient, SqlDatabase, SqlRow } from './sql-database.ts';

const COLUMNS =
  'key, fingerprint, status, turn_id, response_status, response_body, owner, lease_expires_at, created_at, expires_at';

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
    turnId: row.turn_id == null ? null : String(row.turn_id),
    owner: row.owner == null ? null : String(row.owner),
    leaseExpiresAt: row.lease_expires_at == null ? null : String(row.lease_expires_at),
    createdAt: String(row.created_at),
    expiresAt: String(row.expires_at),
  };
}

/**
 * Marks the row of `claim` completed by `turnId`, inside the transaction that commits the turn (see
 * `TurnClaim`). Throws IDEMPOTENCY_IN_PROGRESS, rolling the turn back, when the claim no longer holds
 * the key: its lease ended and another request took the key over, and that one's turn is the one
 * that counts.
 */
export async function commitTurnClaim(
  client: SqlClient,
  tenantId: string,
  claim: TurnClaim,
  turnId: string,
): Promise<void> {
  const result = await client.run(
    `UPDATE idempotency_keys SET status = 'completed', turn_id = ? WHERE tenant_id = ? AND key = ? AND claim_token = ? AND status = 'in_progress'`,
    [turnId, tenantId, claim.key, claim.token],
  );
  if (result.changes === 0) {
    throw new AppError(
      'IDEMPOTENCY_IN_PROGRESS',
      'Another request took over this Idempotency-Key while this one ran; retry for its result',
      { details: { headers: { 'retry-after': '1' } } },
    );
  }
}

/**
 * Idempotency keys, one row per (tenant, key), every statement in the tenant's scope. A claim is a
 * single INSERT … ON CONFLICT that takes over the existing row only when it has expired, and a
 * takeover of a claim whose lease ended is a single UPDATE that checks the lease, so two requests
 * (on any replica) can never both claim one live key.
 */
export function createSqlIdempotency(database: SqlDatabase): IdempotencyStore {
  return {
    async claimIdempotencyKey(tenantId, claim) {
      const result = await database.forTenant(tenantId).run(
        `INSERT INTO idempotency_keys (tenant_id, key, fingerprint, status, claim_token, user_id, owner, lease_expires_at, created_at, expires_at)
         VALUES (?, ?, ?, 'in_progress', ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = 'in_progress',
           claim_token = excluded.claim_token, user_id = excluded.user_id, turn_id = NULL, response_status = NULL,
           response_body = NULL, owner = excluded.owner, lease_expires_at = excluded.lease_expires_at,
           created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= excluded.created_at`,
        [
          tenantId,
          claim.key,
          claim.fingerprint,
          claim.token,
          claim.userId,
          claim.owner,
          claim.leaseExpiresAt,
          claim.createdAt,
          claim.expiresAt,
        ],
      );
      return result.changes > 0;
    },

    async takeOverIdempotencyKey(tenantId, { key, token, owner, now, leaseExpiresAt }) {
      // The WHERE is the compare-and-set: on PostgreSQL a racing UPDATE waits for the row lock and
      // then finds the lease renewed by the winner; SQLite runs one writer at a time.
      const result = await database.forTenant(tenantId).run(
        `UPDATE idempotency_keys SET claim_token = ?, owner = ?, lease_expires_at = ?
         WHERE tenant_id = ? AND key = ? AND status = 'in_progress' AND lease_expires_at <= ? AND expires_at > ?`,
        [token, owner, leaseExpiresAt, tenantId, key, now, now],
      );
      return result.changes > 0;
    },

    async renewIdempotencyLease(tenantId, key, token, leaseExpiresAt) {
      const result = await database
        .forTenant(tenantId)
        .run(
          `UPDATE idempotency_keys SET lease_expires_at = ? WHERE tenant_id = ? AND key = ? AND claim_token = ? AND status = 'in_progress'`,
          [leaseExpiresAt, tenantId, key, token],
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
      await database.forTenant(tenantId).run(
        // `status = ?` matches a row its committed turn marked `completed` only for a `completed`
        // outcome (a row with a stored response is final either way).
        `UPDATE idempotency_keys SET status = ?, turn_id = COALESCE(turn_id, ?), response_status = ?, response_body = ?
           WHERE tenant_id = ? AND key = ? AND claim_token = ? AND response_status IS NULL AND (status = 'in_progress' OR status = ?)`,
        [status, response.turnId, response.status, JSON.stringify(response.body), tenantId, key, token, status],
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
