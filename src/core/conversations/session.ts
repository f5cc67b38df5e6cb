export interface Session {
  id: string;
  tenantId: string;
  title: string | null;
  /** Optional end user within the tenant, for attribution. */
  userId: string | null;
  metadata: Record<string, string>;
  /** The agent its next turn runs; null is the tenant's default agent. */
  agentId: string | null;
  /** Number of messages in the session (the last assigned sequence number). */
  messageCount: number;
  /**
   * The session and turn this one was forked from (a Responses API branch from an older response),
   * whose history up to that turn it holds as its own copy; null or absent for any other session.
   */
  forkedFrom?: { sessionId: string; turnId: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewSession {
  id: string;
  title: string | null;
  userId: string | null;
  metadata: Record<string, string>;
  /** The agent that runs its turns; absent or null is the default agent. */
  agentId?: string | null;
}

/** The session that `POST /agent/interact` writes to; one per tenant. */
export const LEGACY_SESSION_ID = 'ses_legacy';
