/** One append-only audit record of an administrative action. */
export interface AuditEntry {
  id: string;
  /** The tenant the action concerns; empty for platform actions (e.g. creating an admin key). */
  tenantId: string;
  /** `admin:<key id>`, `tenant:<key id>`, `user:<sub>` or `cli`. */
  actor: string;
  /** Dotted verb, e.g. `tenant.create`, `key.revoke`, `config.update`. */
  action: string;
  target: string;
  requestId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'createdAt'>;
