/**
 * What the OAuth code needs of an MCP server record (`/v1/mcp-servers`, auth type `oauth`). The
 * record's own module maps its auth union onto this; the client secret stays in the tenant's
 * secrets and is named here, never copied.
 */
export interface McpOAuthServer {
  id: string;
  url: string;
  /** Each end user authorizes for themselves: grants are kept per (tenant, user, server). */
  perUser: boolean;
  oauth: McpOAuthSettings;
}

export interface McpOAuthSettings {
  grant: 'client_credentials' | 'authorization_code';
  /** A client registered with the authorization server out of band; without one, Enclave registers itself (RFC 7591). */
  clientId?: string | null | undefined;
  /** The tenant secret holding the client secret (client credentials needs one; authorization code may be public). */
  clientSecretName?: string | null | undefined;
  /** Scope to ask for; by default the one the server advertises. */
  scope?: string | null | undefined;
}

/** Who a grant is for: the tenant always comes from the credential, the user from the turn. */
export interface McpOAuthCaller {
  tenantId: string;
  /** The end user the turn runs for; required for a per-user server, ignored otherwise. */
  userId?: string | null | undefined;
}

/** The route a tenant admin calls to authorize a server (documented in docs/tools-oauth.md). */
export const authorizeRoute = (serverId: string) => `POST /v1/mcp-servers/${serverId}/oauth/authorize`;
