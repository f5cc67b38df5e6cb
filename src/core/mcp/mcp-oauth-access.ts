/**
 * What the HTTP routes need of MCP OAuth (the implementation lives in src/tools/mcp/oauth). The
 * tenant is always the caller's. `userId` is the end user a per-user grant is for; `admin` says the
 * caller is a tenant admin (`config:write`): only an admin may touch a tenant-wide grant, which
 * every user's turns share.
 */
export interface McpOAuthCallerRef {
  userId: string | null;
  admin: boolean;
}

export interface McpOAuthAccess {
  /** Starts the authorization-code grant; the URL goes to the person who signs in. */
  authorize(
    tenantId: string,
    serverId: string,
    caller: McpOAuthCallerRef,
  ): Promise<{ authorizationUrl: string; expiresAt: string }>;
  /** Redeems the callback's single-use state and stores the grant; the tenant comes from the state. */
  complete(params: {
    state: string;
    code: string;
    iss?: string | undefined;
  }): Promise<{ tenantId: string; serverId: string; userId: string | null }>;
  status(
    tenantId: string,
    serverId: string,
    caller: McpOAuthCallerRef,
  ): Promise<{ authorized: boolean; expiresAt: string | null }>;
  /** Deletes the grant (the next turn needs a new authorization). */
  revoke(tenantId: string, serverId: string, caller: McpOAuthCallerRef): Promise<void>;
}
