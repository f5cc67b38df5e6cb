import type { ConsoleSessions } from '../auth/console-sessions.ts';
import type { TurnRequest, TurnResult } from '../core/agents/run-agent.ts';
import type { TurnAdmission } from '../core/agents/turn-admission.ts';
import type { Principal } from '../core/auth/principal.ts';
import type { ConversationService } from '../core/conversations/conversation-service.ts';
import type { McpOAuthAccess } from '../core/mcp/mcp-oauth-access.ts';
import type { ListMcpTools } from '../core/mcp/mcp-server.ts';
import type { McpServerService } from '../core/mcp/mcp-server-service.ts';
import type { PlatformMcpCatalog } from '../core/mcp/platform-mcp-server.ts';
import type { AdminStorage, Storage } from '../core/ports.ts';
import type { SecretService } from '../core/secrets/secret-service.ts';
import type { TenantConfig } from '../core/tenants/tenant-config.ts';
import type { TenantDirectory } from '../core/tenants/tenant-directory.ts';
import type { BackgroundTurns } from '../core/turns/background-turns.ts';
import type { Idempotency } from '../core/turns/idempotency.ts';
import type { TurnEventLog } from '../core/turns/turn-event-log.ts';
import type { TurnRegistry } from '../core/turns/turn-registry.ts';
import type { HttpMetrics } from './metrics-port.ts';

/** Everything the HTTP layer needs, wired by the composition root (`server.ts`). */
export interface AppServices {
  storage: Storage;
  conversations: ConversationService;
  /** The one turn pipeline. */
  runTurn(request: TurnRequest): Promise<TurnResult>;
  /** Running turns: `cancel` reaches a turn on any replica. */
  turns: TurnRegistry;
  /** Events of streamed turns, kept for resuming (readable from any replica with Redis). */
  turnEvents: TurnEventLog;
  /** Turns that run detached from a request (background, WebSocket); shutdown waits for them. */
  backgroundTurns: BackgroundTurns;
  /** Cached tenant status and config. */
  tenants: TenantDirectory;
  /** Cross-tenant operations; only the admin routes use it. */
  admin: AdminStorage;
  /** Credential → principal (throws UNAUTHENTICATED). */
  resolvePrincipal(authorization: string | undefined): Promise<Principal>;
  /**
   * Provider health in this process, for operators: each provider endpoint's circuit breaker, and
   * model calls by provider label and outcome since the process started.
   */
  providerHealth(): Promise<{
    circuits: { provider: string; state: 'closed' | 'half-open' | 'open' }[];
    calls: { provider: string; completed: number; failed: number }[];
  }>;
  /** Web console sign-ins: key → session cookie, cookie → principal (docs/console.md). */
  consoleSessions: ConsoleSessions;
  /** The web console: session lifetime and the built files (`web/dist`). */
  console: { sessionTtlMs: number; dir: string };
  /** Tells the credential cache that keys changed here (revoked key, deleted tenant). */
  credentialsChanged: { key(keyId: string): void; tenant(tenantId: string): void };
  /** New API key material: the key (shown once), its hash and display prefix. */
  generateApiKey(): { key: string; hash: string; prefix: string };
  /** Envelope-encrypted tenant secrets. */
  secrets: SecretService;
  /** Prometheus metrics (no tenant labels). */
  metrics: HttpMetrics;
  /** What `/readyz` checks besides the database (e.g. Redis). */
  readinessChecks: { name: string; check(): Promise<void> }[];
  /** Limits on requests, concurrent turns and tokens. */
  admission: TurnAdmission;
  /** Refuses a config whose model this tenant may not use (MODEL_NOT_ALLOWED, PROVIDER_KEY_MISSING). */
  checkModel?(config: TenantConfig): void;
  /** The models a tenant with this config may call, as `provider:model` (`GET /v1/models`); absent: its config's model. */
  offeredModels?(config: TenantConfig): string[];
  /** The tool names a config may enable (UNKNOWN_TOOL otherwise); absent accepts any name. */
  toolNames?(): readonly string[];
  /** Also accepts a tool name no list holds in advance (a platform MCP server's tool, `files__read_file`). */
  acceptsTool?(name: string): boolean;
  /** The operator's platform MCP servers (`/v1/platform-mcp-servers`); absent: none are declared. */
  platformMcp?: PlatformMcpCatalog;
  /** Tenant MCP servers (`/v1/mcp-servers`); absent: those routes are not served. */
  mcpServers?: McpServerService;
  /** A server's tools, listed live through the guarded fetch (briefly cached per tenant). */
  listMcpTools?: ListMcpTools;
  /** Fresh ids (`key_…`). */
  newId(prefix: string): string;
  /** OAuth of tenant MCP servers (authorize, callback, grant status); absent: those routes are not served. */
  mcpOAuth?: McpOAuthAccess;
  /** `Idempotency-Key` on turn-creating routes; absent means the header is ignored. */
  idempotency?: Idempotency;
}
