import type { AuthProvider, OAuthClientProvider } from '@modelcontextprotocol/client';
import type { Tool, ToolSet } from 'ai';
import { AppError } from '../../core/errors.ts';
import {
  MCP_TOOL_NAME_PATTERN,
  type McpServer,
  type McpToolInfo,
  SECRET_REFERENCE,
  USER_CREDENTIAL_REFERENCE,
} from '../../core/mcp/mcp-server.ts';
import { JWT_SECRET_PREFIX } from '../../core/tenants/tenant-config.ts';
import { limitTool, type ToolLimits } from '../limit-tool.ts';
import { listAllTools } from './list-all-tools.ts';
import { mcpAiTool } from './mcp-ai-tool.ts';
import { type McpEndpoint, withMcpSession } from './mcp-session.ts';
import { createMcpToolCache } from './mcp-tool-cache.ts';

/** Between a server's name and its tool's: `github__create_issue`. */
export const MCP_TOOL_SEPARATOR = '__';

/** An agent's choice of one server: its name and, optionally, which of its tools. */
export interface McpServerSelection {
  server: string;
  tools?: readonly string[] | null | undefined;
}

export interface McpToolsDeps {
  /** The tenant's server by name (null when it has none of that name). */
  findServer(tenantId: string, name: string): Promise<McpServer | null>;
  /** A tenant secret's plaintext, or null. */
  revealSecret(tenantId: string, name: string): Promise<string | null>;
  /** The end user's credential for a per-user server, or null. */
  revealUserCredential(tenantId: string, serverId: string, userId: string): Promise<string | null>;
  /**
   * The SDK auth provider of an `oauth` server for this tenant (and end user, for a per-user
   * server): supplied by src/tools/mcp/oauth. Absent: OAuth servers fail with MCP_SERVER_UNAVAILABLE.
   */
  oauthProvider?: (
    tenantId: string,
    server: McpServer,
    userId: string | null,
  ) => AuthProvider | OAuthClientProvider | Promise<AuthProvider | OAuthClientProvider>;
  /** The SSRF-guarded outbound fetch (`createOutboundFetch`): every connection goes through it. */
  fetch: typeof globalThis.fetch;
  /** The tool loop's limits (TOOL_TIMEOUT_MS, TOOL_OUTPUT_MAX_CHARS); a server's call timeout can only be shorter. */
  limits: ToolLimits;
  /** Longest a tool listing may take (ms); default 10 s. */
  listTimeoutMs?: number;
  /** How long a listed tool set is reused (ms); default 30 s. */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * Tenant MCP servers as AI SDK tools. Every connection is made for one tenant (and, for a per-user
 * server, one end user) with that tenant's own secrets or that user's own credential, through the
 * guarded fetch, in a session of its own. Tools are namespaced `server__tool` and wrapped with the
 * tool loop's timeout and output cap like every other tool.
 */
export function createMcpTools(deps: McpToolsDeps) {
  const now = deps.now ?? Date.now;
  const cache = createMcpToolCache({ ttlMs: deps.cacheTtlMs ?? 30_000, perTenant: 64, tenants: 1_000, now });
  const listTimeoutMs = deps.listTimeoutMs ?? 10_000;

  async function fill(tenantId: string, server: McpServer, userId: string | null, template: string): Promise<string> {
    let value = template;
    if (value.includes(USER_CREDENTIAL_REFERENCE)) {
      const credential = userId ? await deps.revealUserCredential(tenantId, server.id, userId) : null;
      if (credential === null) {
        throw new AppError(
          'MCP_USER_CREDENTIAL_MISSING',
          userId
            ? `MCP server '${server.name}' needs the end user's own credential, and user '${userId}' has none (PUT /v1/mcp-servers/${server.id}/credentials/{user_id})`
            : `MCP server '${server.name}' needs the end user's own credential, and this turn has no end user`,
        );
      }
      value = value.replaceAll(USER_CREDENTIAL_REFERENCE, credential);
    }
    const names = [...value.matchAll(SECRET_REFERENCE)].map((match) => match[1] ?? '');
    for (const name of new Set(names)) {
      // Never an operator's JWT signing secret, even in a record stored before this was checked.
      const secret = name.startsWith(JWT_SECRET_PREFIX) ? null : await deps.revealSecret(tenantId, name);
      if (secret === null) {
        throw new AppError('MCP_SECRET_MISSING', `MCP server '${server.name}' uses secret '${name}', which is not set`);
      }
      value = value.replaceAll(`{{secret:${name}}}`, secret);
    }
    if (/[\r\n\0]/.test(value))
      throw new AppError('MCP_SECRET_MISSING', `A secret of MCP server '${server.name}' is not a header value`);
    return value;
  }

  /** The endpoint for this tenant and user, credentials filled in (the user's only, never another's). */
  async function endpointOf(tenantId: string, server: McpServer, userId: string | null): Promise<McpEndpoint> {
    const endpoint: McpEndpoint = { name: server.name, url: server.url, transport: server.transport, headers: {} };
    if (server.perUserCredentials && !userId) {
      throw new AppError(
        'MCP_USER_CREDENTIAL_MISSING',
        `MCP server '${server.name}' needs the end user's own credential, and this turn has no end user`,
      );
    }
    if (server.auth.type === 'headers') {
      for (const [name, template] of Object.entries(server.auth.headers)) {
        endpoint.headers[name] = await fill(tenantId, server, userId, template);
      }
    } else if (server.auth.type === 'oauth') {
      if (!deps.oauthProvider) {
        throw new AppError(
          'MCP_SERVER_UNAVAILABLE',
          `MCP server '${server.name}' uses OAuth, which is not available here`,
        );
      }
      endpoint.authProvider = await deps.oauthProvider(tenantId, server, server.perUserCredentials ? userId : null);
    }
    return endpoint;
  }

  /** The server's tools as this tenant (and user) sees them: listed live, reused for a short while. */
  async function listTools(
    tenantId: string,
    server: McpServer,
    userId: string | null,
    signal?: AbortSignal,
  ): Promise<McpToolInfo[]> {
    const userKey = server.perUserCredentials ? (userId ?? '') : '';
    const key = `${server.id}\0${server.updatedAt}\0${userKey}`;
    const cached = cache.get(tenantId, key);
    if (cached) return cached;
    const endpoint = await endpointOf(tenantId, server, userId);
    const tools = await withMcpSession(
      endpoint,
      { fetch: deps.fetch, timeoutMs: listTimeoutMs, signal },
      (client, sessionSignal) => listAllTools(client, sessionSignal, listTimeoutMs),
    );
    const allowed = server.tools ? tools.filter((item) => server.tools?.includes(item.name)) : tools;
    cache.set(tenantId, server.id, key, allowed);
    return allowed;
  }

  function asTool(tenantId: string, server: McpServer, userId: string | null, info: McpToolInfo): Tool {
    const callTimeoutMs = Math.min(server.callTimeoutMs ?? deps.limits.timeoutMs, deps.limits.timeoutMs);
    return mcpAiTool(info, async (input, signal) => {
      // Credentials are resolved per call: a credential deleted meanwhile is not used again.
      const endpoint = await endpointOf(tenantId, server, userId);
      return withMcpSession(endpoint, { fetch: deps.fetch, timeoutMs: callTimeoutMs, signal }, (client, session) =>
        client.callTool({ name: info.name, arguments: input }, { signal: session, timeout: callTimeoutMs }),
      );
    });
  }

  return {
    listTools,

    /**
     * The tools an agent chose, for one turn of `tenantId` made for `userId`. A server the tenant
     * no longer has is left out; one that cannot be listed fails the turn (nothing is stored yet).
     */
    async toolSet(
      tenantId: string,
      selections: readonly McpServerSelection[],
      userId: string | null,
      signal?: AbortSignal,
    ): Promise<ToolSet> {
      const tools: ToolSet = {};
      for (const selection of selections) {
        const server = await deps.findServer(tenantId, selection.server);
        if (!server) continue;
        for (const info of await listTools(tenantId, server, userId, signal)) {
          const name = `${server.name}${MCP_TOOL_SEPARATOR}${info.name}`;
          if (!MCP_TOOL_NAME_PATTERN.test(name) || !MCP_TOOL_NAME_PATTERN.test(info.name)) continue;
          if (selection.tools && !selection.tools.includes(info.name)) continue;
          tools[name] = limitTool(name, asTool(tenantId, server, userId, info), deps.limits);
        }
      }
      return tools;
    },

    /** Drops cached tool lists of a server (after it changed, or a user credential did). */
    invalidate: (tenantId: string, serverId: string) => cache.invalidate(tenantId, serverId),
  };
}

export type McpTools = ReturnType<typeof createMcpTools>;
