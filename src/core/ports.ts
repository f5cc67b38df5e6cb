import type { AgentStore } from './agent-catalog/agent-store.ts';
import type { AuditEntry, NewAuditEntry } from './audit/audit-entry.ts';
import type { AdminKeyRecord, ApiKeyRecord, NewApiKey } from './auth/api-key-record.ts';
import type { ContentPart, Message, NewMessage } from './conversations/message.ts';
import type { NewSession, Session } from './conversations/session.ts';
import type { ResponseStore } from './responses/response-store.ts';
import type { Tenant, TenantStatus } from './tenants/tenant.ts';
import type { TenantConfig, TenantConfigVersion } from './tenants/tenant-config.ts';
import type { TurnClaim } from './turns/idempotency.ts';
import type { NewUsageRecord, UsageAggregate, UsageGroup, UsageRecord } from './usage/usage-record.ts';

/** One legacy interaction: a user message and the reply that completed its turn. */
export interface Interaction {
  seq: number;
  message: string;
  response: string;
}

/**
 * A message as the context builder and the rolling summary need it: user messages, completed
 * final replies, and the completed tool-call steps and tool results of a turn.
 */
export interface ContextMessage {
  seq: number;
  turnId: string;
  role: 'user' | 'assistant' | 'tool';
  content: ContentPart[];
}

/** A session's rolling summary of every context message with `seq <= upToSeq`. */
export interface SessionSummary {
  sessionId: string;
  upToSeq: number;
  text: string;
  /** `provider:model` that wrote it. */
  model: string;
  /** Its size by the token counter of that model. */
  tokenCount: number;
  createdAt: string;
}

export type NewSessionSummary = Omit<SessionSummary, 'createdAt'>;

/** One message found by `searchMessages`. */
export interface MessageSearchHit {
  sessionId: string;
  seq: number;
  role: 'user' | 'assistant';
  /** The message's text (its text parts joined), whole; callers cut snippets. */
  text: string;
  createdAt: string;
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
export interface Storage extends AgentStore, ResponseStore {
  /**
   * First write of a turn, in one transaction: optionally create the tenant and session,
   * assign the next sequence number and append the user message.
   * Throws `SESSION_NOT_FOUND` when the session is missing and not created (also for an unknown tenant).
   */
  beginTurn(tenantId: string, input: BeginTurnInput): Promise<Message>;

  /** Appends messages to a session in one transaction, with consecutive sequence numbers. */
  appendMessages(tenantId: string, sessionId: string, messages: readonly NewMessage[]): Promise<Message[]>;

  /**
   * Last write of a turn, in one transaction: the assistant and tool messages and the turn's
   * usage record, so usage is charged exactly once and only with the messages it paid for.
   * With `claim` (the request's Idempotency-Key), the key is marked completed by `usage.turnId` in
   * the same transaction; when the claim was taken over meanwhile, nothing is written and it throws
   * IDEMPOTENCY_IN_PROGRESS.
   */
  completeTurn(
    tenantId: string,
    sessionId: string,
    messages: readonly NewMessage[],
    usage: NewUsageRecord,
    claim?: TurnClaim | null,
  ): Promise<Message[]>;

  /**
   * The usage record of a stateless turn that stores no messages (an OpenAI-compatible call
   * without `store`), in one transaction; with `claim`, the Idempotency-Key is marked completed by
   * `usage.turnId` in it, as `completeTurn` does (IDEMPOTENCY_IN_PROGRESS when it was taken over).
   */
  recordUsage(tenantId: string, usage: NewUsageRecord, claim?: TurnClaim | null): Promise<void>;

  /**
   * Context messages (see `ContextMessage`) with `afterSeq < seq < beforeSeq`, newest first
   * (`desc`) or oldest first (`asc`), at most `limit`. Cost is bounded by `limit`.
   */
  contextMessages(
    tenantId: string,
    sessionId: string,
    options: { afterSeq: number; beforeSeq: number; limit: number; order: 'asc' | 'desc' },
  ): Promise<ContextMessage[]>;

  /**
   * What a turn's context starts from, in one read: the newest rolling summary (when asked for)
   * and the context messages after it and before `beforeSeq`, newest first, at most `limit`.
   */
  contextWindow(
    tenantId: string,
    sessionId: string,
    options: { beforeSeq: number; limit: number; withSummary: boolean },
  ): Promise<{ summary: SessionSummary | null; messages: ContextMessage[] }>;

  /** The session's newest rolling summary (highest `upToSeq`), or null. */
  latestSessionSummary(tenantId: string, sessionId: string): Promise<SessionSummary | null>;

  /**
   * Stores a rolling summary and the usage record of the model call that wrote it, in one
   * transaction. A summary with the same `upToSeq` already stored (a concurrent turn wrote it)
   * wins: nothing is written and false is returned.
   */
  saveSessionSummary(tenantId: string, summary: NewSessionSummary, usage: NewUsageRecord): Promise<boolean>;

  /**
   * The tenant's user and assistant messages whose text contains `query` (case-insensitive; on
   * SQLite only ASCII letters fold), newest first, at most `limit`; within one session when
   * `sessionId` is given, and never the messages of turn `excludeTurnId`. Only this tenant's rows
   * are read whatever the arguments: the caller passes the tenant of the turn, never one a model named.
   */
  searchMessages(
    tenantId: string,
    options: { query: string; sessionId: string | null; excludeTurnId: string | null; limit: number },
  ): Promise<MessageSearchHit[]>;

  getTenant(tenantId: string): Promise<Tenant | null>;

  /** Creates a session. With `createTenant`, a missing tenant is created first (auth disabled only). */
  createSession(tenantId: string, session: NewSession, options: { createTenant: boolean }): Promise<Session>;
  getSession(tenantId: string, sessionId: string): Promise<Session | null>;
  /** Sessions newest first; `beforeId` is exclusive. */
  listSessions(tenantId: string, options: { limit: number; beforeId: string | null }): Promise<Session[]>;
  /**
   * Deletes the session, its messages and summaries. Returns the ids of the turns deleted with it
   * (for purging what is kept outside the database, such as their event logs), or null when the
   * session did not exist.
   */
  deleteSession(tenantId: string, sessionId: string): Promise<{ turnIds: string[] } | null>;

  /**
   * Copies session `sourceSessionId` of the tenant into a new session `id` (same title, user,
   * metadata and agent), with the messages up to and including the last one of turn
   * `throughTurnId` (their `seq`, content and usage as they are; new message and turn ids), in one
   * transaction; the new session records `forkedFrom`. Null when the tenant has no such session or
   * no such turn in it (nothing is written). The caller authorises; the copy never leaves the tenant.
   */
  forkSession(
    tenantId: string,
    fork: { id: string; sourceSessionId: string; throughTurnId: string },
  ): Promise<Session | null>;
  /** Replaces the session's metadata; false when the tenant has no such session. */
  setSessionMetadata(tenantId: string, sessionId: string, metadata: Record<string, string>): Promise<boolean>;
  /** One message of the session (a conversation item), or null. */
  getSessionMessage(tenantId: string, sessionId: string, messageId: string): Promise<Message | null>;
  /**
   * Deletes one message of the session (a conversation item); later messages keep their `seq`, so
   * the session's numbering has a gap there. False when the tenant has no such message there.
   */
  deleteSessionMessage(tenantId: string, sessionId: string, messageId: string): Promise<boolean>;

  /** Messages of a session ordered by `seq`; `cursorSeq` is exclusive in the direction of `order`. */
  listMessages(
    tenantId: string,
    sessionId: string,
    options: { limit: number; cursorSeq: number | null; order: 'asc' | 'desc' },
  ): Promise<Message[]>;

  /**
   * The messages of one turn (its user message, whose id is the turn id, then what the turn
   * stored), in `seq` order; empty when the tenant has no such turn. Cost is bounded by the turn.
   */
  getTurn(tenantId: string, turnId: string): Promise<Message[]>;

  /** Completed legacy interactions, newest first, with user `seq < beforeSeq` when given. */
  listInteractions(
    tenantId: string,
    sessionId: string,
    options: { limit: number; beforeSeq: number | null },
  ): Promise<Interaction[]>;

  /** The tenant (null when it does not exist) and its current config, in one read. */
  getTenantView(tenantId: string): Promise<{ tenant: Tenant | null; config: TenantConfigVersion }>;
  /** The current config (version 0 is the default, before any change). */
  getTenantConfig(tenantId: string): Promise<TenantConfigVersion>;
  /** Stores `config` as the next version and makes it current; returns the new version. */
  appendTenantConfig(tenantId: string, config: TenantConfig, createdBy: string): Promise<TenantConfigVersion>;
  /** Every stored version, newest first. */
  listTenantConfigs(
    tenantId: string,
    options: { limit: number; beforeVersion: number | null },
  ): Promise<TenantConfigVersion[]>;
  /** A stored version (they start at 1), or null: the default config (version 0) is not a stored version. */
  getTenantConfigVersion(tenantId: string, version: number): Promise<TenantConfigVersion | null>;
  /**
   * The JWT signing secret of the newest config version that still holds one inline (written
   * before secrets moved to the secrets store), with that version; null when none does.
   */
  newestInlineJwtSecret(tenantId: string): Promise<{ version: number; secret: string } | null>;
  /**
   * Rewrites every config version that holds an inline JWT signing secret to name `secretName`
   * instead (a security migration, the one rewrite of config history: the trust stays the same).
   * Returns how many versions changed.
   */
  replaceInlineJwtSecrets(tenantId: string, secretName: string): Promise<number>;

  createApiKey(tenantId: string, key: NewApiKey): Promise<ApiKeyRecord>;
  /** Keys ordered by id; `afterId` is exclusive. Revoked keys are included (with `revokedAt`). */
  listApiKeys(tenantId: string, options: { limit: number; afterId: string | null }): Promise<ApiKeyRecord[]>;
  getApiKey(tenantId: string, keyId: string): Promise<ApiKeyRecord | null>;
  /** Returns false when the key does not exist for this tenant or was already revoked. */
  revokeApiKey(tenantId: string, keyId: string): Promise<boolean>;
  /** Records use; callers throttle it (it is not acknowledged data). */
  touchApiKey(tenantId: string, keyId: string, at: string): Promise<void>;

  /** Raw usage records, newest first; `beforeId` is exclusive. Days are UTC `YYYY-MM-DD`, inclusive. */
  listUsage(
    tenantId: string,
    options: { limit: number; beforeId: string | null; from: string; to: string },
  ): Promise<UsageRecord[]>;
  /**
   * Sums over `[from, to]` (UTC days, inclusive) grouped by any of `USAGE_GROUPS`; with
   * `keyId`, only the records charged to that API key of the tenant.
   */
  aggregateUsage(
    tenantId: string,
    options: { from: string; to: string; groupBy: readonly UsageGroup[]; keyId?: string },
  ): Promise<UsageAggregate[]>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Audit entries of a tenant, newest first; `beforeId` is exclusive. */
  listAudit(tenantId: string, options: { limit: number; beforeId: string | null }): Promise<AuditEntry[]>;

  /**
   * Sessions of one end user and their messages and usage records are deleted; returns the counts
   * and the ids of the turns deleted (for purging what is kept outside the database).
   */
  eraseUser(
    tenantId: string,
    userId: string,
  ): Promise<{ sessions: number; messages: number; usageRecords: number; turnIds: string[] }>;
  /** Every row the tenant owns, table by table, for export. Rows are plain column objects. */
  exportTenant(tenantId: string): AsyncIterable<{ table: string; row: Record<string, unknown> }>;

  /** The tenant's wrapped data key (for secrets at rest), or null. */
  getDataKey(tenantId: string): Promise<string | null>;
  /** Stores the wrapped data key if none exists; returns the one stored (first writer wins). */
  putDataKey(tenantId: string, wrappedKey: string): Promise<string>;
  putSecret(tenantId: string, name: string, ciphertext: string): Promise<void>;
  getSecret(tenantId: string, name: string): Promise<string | null>;
  deleteSecret(tenantId: string, name: string): Promise<boolean>;
  listSecretNames(tenantId: string): Promise<string[]>;

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
  /** Renames or suspends/resumes; returns null when the tenant does not exist. */
  updateTenant(tenantId: string, changes: { name?: string; status?: TenantStatus }): Promise<Tenant | null>;
  /** Tenants ordered by id; `afterId` is exclusive. */
  listTenants(options: { limit: number; afterId: string | null }): Promise<Tenant[]>;
  /** Deletes the tenant and every row it owns, its data key included. Returns false when it did not exist. */
  deleteTenant(tenantId: string): Promise<boolean>;

  /** Tenants with a config version that still holds an inline JWT signing secret, by id (at most `limit`). */
  listTenantsWithInlineJwtSecrets(limit: number): Promise<string[]>;

  /** Usage sums over `[from, to]` (UTC days, inclusive) by tenant, day and model: the operator's view. */
  aggregateUsageAcrossTenants(range: { from: string; to: string }): Promise<TenantUsageRow[]>;

  createAdminKey(key: { id: string; name: string; hash: string }): Promise<AdminKeyRecord>;
  listAdminKeys(): Promise<AdminKeyRecord[]>;
  revokeAdminKey(keyId: string): Promise<boolean>;
}

/** A presented secret's SHA-256, resolved to whatever it belongs to. */
export type CredentialMatch =
  | { kind: 'tenant-key'; key: ApiKeyRecord; hash: string }
  | { kind: 'admin-key'; key: AdminKeyRecord; hash: string };

/**
 * The one lookup that crosses tenants: a presented key names no tenant until it is found. Only the
 * authentication layer receives this interface.
 */
export interface CredentialLookup {
  findByHash(hash: string): Promise<CredentialMatch | null>;
}

/** A web console sign-in: the SHA-256 of its cookie and the key that signed in (never the key). */
export type ConsoleSessionRecord =
  | { kind: 'tenant'; hash: string; tenantId: string; keyId: string; createdAt: string; expiresAt: string }
  | { kind: 'operator'; hash: string; adminKeyId: string; createdAt: string; expiresAt: string };

/**
 * Web console sessions. `find` crosses tenants like `CredentialLookup` (a cookie names no tenant
 * until it is found); only the authentication layer and the console sign-in routes receive this.
 */
export interface ConsoleSessionStore {
  createConsoleSession(session: ConsoleSessionRecord): Promise<void>;
  findConsoleSession(hash: string): Promise<ConsoleSessionRecord | null>;
  /** Deletes the session; true when it existed. */
  deleteConsoleSession(session: ConsoleSessionRecord): Promise<boolean>;
}

/** One tenant's usage on one day with one model (operator usage across tenants). */
export interface TenantUsageRow {
  tenantId: string;
  day: string;
  model: string | null;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  toolCalls: number;
}
