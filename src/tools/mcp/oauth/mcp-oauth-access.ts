import { AppError } from '../../../core/errors.ts';
import type { McpOAuthAccess, McpOAuthCallerRef } from '../../../core/mcp/mcp-oauth-access.ts';
import type { McpOAuth } from './mcp-oauth.ts';
import type { McpOAuthServer } from './mcp-oauth-server.ts';

/**
 * How the OAuth routes find a server: the tenant's own record (`/v1/mcp-servers`), mapped to what
 * OAuth needs; `'not-oauth'` for a record whose auth is not OAuth; null when the tenant has no
 * server of that id (a foreign id answers the same).
 */
export type FindOAuthServer = (tenantId: string, serverId: string) => Promise<McpOAuthServer | 'not-oauth' | null>;

/** Binds the OAuth service to the server records, for the HTTP routes. */
export function createMcpOAuthAccess(
  oauth: Pick<McpOAuth, 'startAuthorization' | 'completeAuthorization' | 'status' | 'revoke'>,
  findServer: FindOAuthServer,
): McpOAuthAccess {
  async function server(tenantId: string, serverId: string, ref: McpOAuthCallerRef): Promise<McpOAuthServer> {
    const found = await findServer(tenantId, serverId);
    if (found === null) throw new AppError('MCP_SERVER_NOT_FOUND');
    if (found === 'not-oauth') {
      throw new AppError('MCP_OAUTH_NOT_APPLICABLE', `MCP server ${serverId} does not use OAuth`);
    }
    // A tenant-wide grant serves every user's turns: an end user must never replace or drop it.
    if (!found.perUser && !ref.admin) {
      throw new AppError(
        'INSUFFICIENT_SCOPE',
        `MCP server ${serverId} has one grant for the tenant: config:write manages it`,
      );
    }
    return found;
  }
  const caller = (tenantId: string, ref: McpOAuthCallerRef) => ({ tenantId, userId: ref.userId });
  return {
    async authorize(tenantId, serverId, ref) {
      return oauth.startAuthorization(await server(tenantId, serverId, ref), caller(tenantId, ref));
    },
    complete: (params) =>
      oauth.completeAuthorization(params, async (tenantId, serverId) => {
        const found = await findServer(tenantId, serverId);
        return found === 'not-oauth' ? null : found;
      }),
    async status(tenantId, serverId, ref) {
      return oauth.status(await server(tenantId, serverId, ref), caller(tenantId, ref));
    },
    async revoke(tenantId, serverId, ref) {
      await oauth.revoke(await server(tenantId, serverId, ref), caller(tenantId, ref));
    },
  };
}
