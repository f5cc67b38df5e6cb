export interface Session {
  id: string;
  tenantId: string;
  title: string | null;
  /** Optional end user within the tenant, for attribution. */
  userId: string | null;
  metadata: Record<string, string>;
  /** Number of messages in the session (the last assigned sequence number). */
  messageCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewSession {
  id: string;
  title: string | null;
  userId: string | null;
  metadata: Record<string, string>;
}

/** The session that `POST /agent/interact` writes to; one per tenant. */
export const LEGACY_SESSION_ID = 'ses_legacy';
