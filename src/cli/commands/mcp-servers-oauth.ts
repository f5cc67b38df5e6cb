import type { Config } from '../../config/config-schema.ts';
import { mcpOAuthRedirectUrl } from '../../config/public-url.ts';
import type { McpOAuthCallerRef } from '../../core/mcp/mcp-oauth-access.ts';
import { createSecretService } from '../../core/secrets/secret-service.ts';
import { outboundFetchOptions } from '../../outbound/outbound-config.ts';
import { closeOutboundFetch, createOutboundFetch, type OutboundFetch } from '../../outbound/outbound-fetch.ts';
import type { OpenedStorage } from '../../storage/create-storage.ts';
import { createMcpOAuth } from '../../tools/mcp/oauth/mcp-oauth.ts';
import { createMcpOAuthAccess } from '../../tools/mcp/oauth/mcp-oauth-access.ts';
import { findOAuthServerIn } from '../../tools/mcp/oauth/mcp-oauth-records.ts';
import { auditCli } from '../cli-storage.ts';
import type { Output } from '../output.ts';

export type McpOAuthAction = 'oauth-authorize' | 'oauth-status' | 'oauth-revoke';

/**
 * `enclave mcp-servers oauth-authorize|oauth-status|oauth-revoke <id> --tenant T [--user U]`: the
 * OAuth routes of a tenant MCP server (docs/tools-oauth.md), as the operator (a tenant admin's
 * rights). The service is the server's: the same redirect URI (the running server's callback
 * redeems the state this stores), and every discovery and registration request through the
 * SSRF-guarded outbound fetch (ENCLAVE_OUTBOUND_*), closed before the command returns.
 */
export async function mcpServerOAuth(
  config: Config,
  opened: OpenedStorage,
  out: Output,
  request: { action: McpOAuthAction; tenantId: string; serverId: string; userId: string | null },
): Promise<void> {
  const { action, tenantId, serverId, userId } = request;
  // Built on first use, like the server's: status and revoke make no outbound request.
  let guarded: OutboundFetch | undefined;
  const outboundFetch: typeof fetch = (input, init) => {
    guarded ??= createOutboundFetch(outboundFetchOptions(config));
    return guarded(input, init);
  };
  try {
    const oauth = createMcpOAuthAccess(
      createMcpOAuth({
        store: opened.mcpOAuth,
        secrets: createSecretService({
          storage: opened.storage,
          masterKey: config.masterKey ? Buffer.from(config.masterKey, 'base64') : null,
        }),
        fetch: outboundFetch,
        redirectUrl: mcpOAuthRedirectUrl(config),
      }),
      findOAuthServerIn(opened.mcpServers),
    );
    const caller: McpOAuthCallerRef = { userId, admin: true };
    const target = `mcp_server:${serverId}`;
    const forWhom = userId ? ` (user ${userId})` : '';
    switch (action) {
      case 'oauth-authorize': {
        const started = await oauth.authorize(tenantId, serverId, caller);
        await auditCli(opened.storage, {
          tenantId,
          action: 'mcp_server.oauth.authorize',
          target,
          details: { user_id: userId },
        });
        out.line(`Open this URL to authorize MCP server ${serverId}${forWhom} before ${started.expiresAt}:`);
        out.line(started.authorizationUrl);
        out.line(`The authorization server then sends the browser back to ${mcpOAuthRedirectUrl(config)}`);
        out.json({ authorization_url: started.authorizationUrl, expires_at: started.expiresAt });
        return;
      }
      case 'oauth-status': {
        const status = await oauth.status(tenantId, serverId, caller);
        out.line(
          status.authorized
            ? `MCP server ${serverId}${forWhom}: authorized${status.expiresAt ? `, access token expires ${status.expiresAt}` : ''}`
            : `MCP server ${serverId}${forWhom}: not authorized`,
        );
        out.json({ authorized: status.authorized, expires_at: status.expiresAt });
        return;
      }
      default: {
        await oauth.revoke(tenantId, serverId, caller);
        await auditCli(opened.storage, {
          tenantId,
          action: 'mcp_server.oauth.revoke',
          target,
          details: { user_id: userId },
        });
        out.line(`Revoked the OAuth grant of MCP server ${serverId}${forWhom} (if there was one)`);
        out.json({ id: serverId, user_id: userId, revoked: true });
      }
    }
  } finally {
    if (guarded) await closeOutboundFetch(guarded);
  }
}
