/**
 * Storage of MCP OAuth grants and pending authorizations (migration 15). The values it holds that
 * are credentials (tokens, a registered client's secret, a PKCE verifier) arrive already sealed
 * under the tenant's data key: the store never sees them in clear.
 */

/** Whose grant: a tenant-wide server has `userKey` '', a per-user server the end user's id. */
export interface GrantKey {
  tenantId: string;
  serverId: string;
  userKey: string;
}

export interface GrantRecord {
  /** Sealed JSON of the SDK's `StoredOAuthTokens`, or null when there is no grant (yet, or any more). */
  tokens: string | null;
  /** Sealed JSON of the registered client (`StoredOAuthClientInformation`), or null. */
  clientInfo: string | null;
  /** JSON of the SDK's `OAuthDiscoveryState` (public metadata), or null. */
  discovery: string | null;
  /** When the access token stops being valid (epoch ms), or null when the server gave no lifetime. */
  expiresAt: number | null;
  /** A scope the MCP server demanded (403 insufficient_scope) that the next authorization asks for. */
  stepUpScope: string | null;
  /** Bumped by every write: a write names the version it read (compare-and-swap). */
  version: number;
}

export interface GrantWrite {
  tokens: string | null;
  clientInfo: string | null;
  discovery: string | null;
  expiresAt: number | null;
}

/** An authorization started by a tenant admin and waiting for its callback (single use). */
export interface PendingAuthorization {
  serverId: string;
  userKey: string;
  /** Sealed PKCE code verifier. */
  codeVerifier: string;
  /** Sealed JSON of the discovery state and client registration the authorization was started with. */
  context: string;
  expiresAt: number;
}

export interface McpOAuthStore {
  getGrant(key: GrantKey): Promise<GrantRecord | null>;
  /**
   * Writes the grant if its version is still `expectedVersion` (null: whatever it is, for a new
   * authorization by an admin). Returns the new version, or null when another writer got there first.
   */
  saveGrant(key: GrantKey, write: GrantWrite, expectedVersion: number | null): Promise<number | null>;
  /**
   * Takes the refresh lease of a grant for `owner` until `untilMs`, if no other owner holds an
   * unexpired one (`nowMs`). The lease is how replicas sharing a database never run two refreshes
   * of one grant at once. Returns whether it was taken.
   */
  claimLease(key: GrantKey, owner: string, nowMs: number, untilMs: number): Promise<boolean>;
  releaseLease(key: GrantKey, owner: string): Promise<void>;
  /** Forgets every grant of a server (the server was deleted, or its OAuth settings changed). */
  deleteServerGrants(tenantId: string, serverId: string): Promise<number>;
  deleteGrant(key: GrantKey): Promise<boolean>;
  /** Remembers the scope a server demanded, for the next authorization (creates the row if need be). */
  setStepUpScope(key: GrantKey, scope: string): Promise<void>;
  putPending(tenantId: string, stateHash: string, pending: PendingAuthorization): Promise<void>;
  /** Removes and returns a pending authorization that has not expired: a state is redeemed once. */
  takePending(tenantId: string, stateHash: string, nowMs: number): Promise<PendingAuthorization | null>;
}
