import type { Message, NewMessage } from './conversations/message.ts';
import type { NewSession, Session } from './conversations/session.ts';
import type { Tenant } from './tenants/tenant.ts';

/** One legacy interaction: a user message and the reply that completed its turn. */
export interface Interaction {
  seq: number;
  message: string;
  response: string;
}

/** A message as the context builder needs it. */
export interface ContextItem {
  seq: number;
  role: 'user' | 'assistant';
  text: string;
}

export interface BeginTurnInput {
  sessionId: string;
  /** Create the tenant when it does not exist (legacy interact without auth). */
  createTenant: boolean;
  /** Create the session when it does not exist (the legacy session). */
  createSession: NewSession | null;
  message: NewMessage;
}

/**
 * The storage port. Every tenant-scoped method takes the tenant id first and only ever
 * touches that tenant's rows; callers (the HTTP layer) are responsible for authorising the
 * tenant before calling. Every method that writes runs as one transaction.
 */
export interface Storage {
  /**
   * First write of a turn, in one transaction: optionally create the tenant and session,
   * assign the next sequence number and append the user message.
   * Throws `SESSION_NOT_FOUND` when the session is missing and not created (also for an unknown tenant).
   */
  beginTurn(tenantId: string, input: BeginTurnInput): Promise<Message>;

  /** Appends messages to a session in one transaction, with consecutive sequence numbers. */
  appendMessages(tenantId: string, sessionId: string, messages: readonly NewMessage[]): Promise<Message[]>;

  /**
   * The newest context-worthy messages (user messages and final completed replies) with
   * `seq < beforeSeq`, newest first, at most `limit`. Cost is bounded by `limit`.
   */
  recentContext(tenantId: string, sessionId: string, beforeSeq: number, limit: number): Promise<ContextItem[]>;

  getTenant(tenantId: string): Promise<Tenant | null>;

  /** Creates a session. With `createTenant`, a missing tenant is created first (auth disabled only). */
  createSession(tenantId: string, session: NewSession, options: { createTenant: boolean }): Promise<Session>;
  getSession(tenantId: string, sessionId: string): Promise<Session | null>;
  /** Sessions newest first; `beforeId` is exclusive. */
  listSessions(tenantId: string, options: { limit: number; beforeId: string | null }): Promise<Session[]>;
  /** Deletes the session and its messages. Returns false when it did not exist. */
  deleteSession(tenantId: string, sessionId: string): Promise<boolean>;

  /** Messages of a session ordered by `seq`; `cursorSeq` is exclusive in the direction of `order`. */
  listMessages(
    tenantId: string,
    sessionId: string,
    options: { limit: number; cursorSeq: number | null; order: 'asc' | 'desc' },
  ): Promise<Message[]>;

  /** Completed legacy interactions, newest first, with user `seq < beforeSeq` when given. */
  listInteractions(
    tenantId: string,
    sessionId: string,
    options: { limit: number; beforeSeq: number | null },
  ): Promise<Interaction[]>;

  /** Resolves when the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Cross-tenant operations. Only the admin routes and the CLI receive this interface, never a
 * tenant-facing route.
 */
export interface AdminStorage {
  createTenant(tenant: { id: string; name: string }): Promise<Tenant>;
  /** Tenants ordered by id; `afterId` is exclusive. */
  listTenants(options: { limit: number; afterId: string | null }): Promise<Tenant[]>;
  /** Deletes the tenant and every row it owns. Returns false when it did not exist. */
  deleteTenant(tenantId: string): Promise<boolean>;
}
