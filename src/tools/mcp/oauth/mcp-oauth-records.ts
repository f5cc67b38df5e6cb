import type { AuthProvider } from '@modelcontextprotocol/client';
import type { McpServer } from '../../../core/mcp/mcp-server.ts';
import type { McpServerStore } from '../../../core/mcp/mcp-server-store.ts';
import type { McpOAuth } from './mcp-oauth.ts';
import type { FindOAuthServer } from './mcp-oauth-access.ts';
import type { McpOAuthServer } from './mcp-oauth-server.ts';

/** What OAuth needs of a server record (`/v1/mcp-servers`); null for a record whose auth is not OAuth. */
export function oauthServerOf(server: McpServer): McpOAuthServer | null {
  if (server.auth.type !== 'oauth') return null;
  const { grant, clientId, clientSecretName, scope } = server.auth;
  return {
    id: server.id,
    url: server.url,
    perUser: server.perUserCredentials,
    oauth: { grant, clientId, clientSecretName, scope },
  };
}

/** The OAuth routes' server lookup over the tenant's records (a foreign id is missing, as it should be). */
export function findOAuthServerIn(store: Pick<McpServerStore, 'get'>): FindOAuthServer {
  return async (tenantId, serverId) => {
    const server = await store.get(tenantId, serverId);
    if (!server) return null;
    return oauthServerOf(server) ?? 'not-oauth';
  };
}

/**
 * The `oauthProvider` of `createMcpTools` (src/tools/mcp/mcp-tools.ts): the single-flight SDK auth
 * provider of this tenant's (and, for a per-user server, this user's) grant.
 */
export function mcpOAuthProvider(oauth: McpOAuth) {
  return (tenantId: string, server: McpServer, userId: string | null): AuthProvider => {
    const target = oauthServerOf(server);
    if (!target) throw new Error(`MCP server ${server.id} does not use OAuth`);
    return oauth.authProvider(target, { tenantId, userId });
  };
}
