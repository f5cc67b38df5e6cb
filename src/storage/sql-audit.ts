import type { AuditEntry } from '../core/audit/audit-entry.ts';
import type { Ids } from '../core/ids.ts';
import type { Storage } from '../core/ports.ts';
import type { SqlDatabase, SqlRow } from './sql-database.ts';

function toAuditEntry(row: SqlRow): AuditEntry {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    actor: String(row.actor),
    action: String(row.action),
    target: String(row.target),
    requestId: row.request_id == null ? null : String(row.request_id),
    details: JSON.parse(String(row.details)) as Record<string, unknown>,
    createdAt: String(row.created_at),
  };
}

/** The append-only audit log (a trigger refuses updates). */
export function createSqlAudit(
  database: SqlDatabase,
  now: () => Date,
  ids: Ids,
): Pick<Storage, 'appendAudit' | 'listAudit'> {
  return {
    async appendAudit(entry) {
      const stored: AuditEntry = { ...entry, id: ids.next('aud'), createdAt: now().toISOString() };
      await database
        .forTenant(stored.tenantId)
        .run(
          'INSERT INTO audit_log (tenant_id, id, actor, action, target, request_id, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [
            stored.tenantId,
            stored.id,
            stored.actor,
            stored.action,
            stored.target,
            stored.requestId,
            JSON.stringify(stored.details),
            stored.createdAt,
          ],
        );
      return stored;
    },

    async listAudit(tenantId, { limit, beforeId }) {
      const rows = await database
        .forTenant(tenantId)
        .all(
          'SELECT tenant_id, id, actor, action, target, request_id, details, created_at FROM audit_log WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
          [tenantId, beforeId ?? '~', limit],
        );
      return rows.map(toAuditEntry);
    },
  };
}
