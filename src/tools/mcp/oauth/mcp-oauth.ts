import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  type AuthProvider,
  auth,
  computeScopeUnion,
  extractWWWAuthenticateParams,
  InsufficientScopeError,
  type OAuthDiscoveryState,
  OAuthError,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { AppError } from '../../../core/errors.ts';
import type { GrantKey, McpOAuthStore } from '../../../core/mcp/mcp-oauth-store.ts';
import type { SecretService } from '../../../core/secrets/secret-service.ts';
import { authorizeRoute, type McpOAuthCaller, type McpOAuthServer } from './mcp-oauth-server.ts';
import { createSingleFlight } from './single-flight.ts';
import { StoredOAuthProvider } from './stored-oauth-provider.ts';

export interface McpOAuthOptions {
  store: McpOAuthStore;
  secrets: Pick<SecretService, 'seal' | 'open' | 'reveal'>;
  /** Every discovery, registration and token request goes through this fetch (the outbound SSRF guard). */
  fetch: typeof fetch;
  /** The public URL of `GET /v1/mcp-servers/oauth/callback`, registered as the redirect URI. */
  redirectUrl: string;
  clientName?: string;
  now?: () => number;
  /** How long one replica may hold a grant's refresh lease (default 30 s). */
  leaseMs?: number;
  /** How often a replica waiting for another's refresh looks again (default 100 ms). */
  pollMs?: number;
  /** A token this close to its expiry is refreshed before use (default 30 s). */
  expirySkewMs?: number;
  /** How long an authorization URL stays redeemable (default 10 minutes). */
  stateTtlMs?: number;
  /** Time limit of each request to the authorization server (default 15 s, under the lease). */
  requestTimeoutMs?: number;
}

interface OpenGrant {
  stepUpScope: string | null;
  tokens: StoredOAuthTokens | null;
  clientInfo: StoredOAuthClientInformation | null;
  discovery: OAuthDiscoveryState | null;
  expiresAt: number | null;
  version: number;
}

interface Challenge {
  resourceMetadataUrl?: URL | undefined;
  scope?: string | undefined;
}

const aadOf = (key: GrantKey, field: string) => `mcp-oauth:${key.serverId}:${key.userKey}:${field}`;
const hashState = (secret: string) => createHash('sha256').update(secret).digest('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * OAuth 2.1 for tenant MCP servers, on the official SDK's `auth()`: client credentials, and the
 * authorization-code grant with PKCE started by a tenant admin. Grants are stored encrypted per
 * (tenant, server) or, for a per-user server, per (tenant, user, server). A refresh runs once per
 * grant: concurrent callers in this process share one promise, and replicas sharing the database
 * take the grant's lease first, so a rotating refresh token is never sent twice.
 */
export function createMcpOAuth(options: McpOAuthOptions) {
  const { store, secrets } = options;
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 100;
  const skewMs = options.expirySkewMs ?? 30_000;
  const stateTtlMs = options.stateTtlMs ?? 600_000;
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const clientName = options.clientName ?? 'Enclave';
  const instance = randomUUID();
  const flights = createSingleFlight<OpenGrant>();

  const fetchFn: typeof fetch = (input, init) => {
    const limit = AbortSignal.timeout(timeoutMs);
    return options.fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, limit]) : limit });
  };

  function grantKey(server: McpOAuthServer, caller: McpOAuthCaller): GrantKey {
    if (!server.perUser) return { tenantId: caller.tenantId, serverId: server.id, userKey: '' };
    if (!caller.userId) {
      throw new AppError('USER_ID_REQUIRED', `MCP server ${server.id} uses each end user's own credential`);
    }
    return { tenantId: caller.tenantId, serverId: server.id, userKey: caller.userId };
  }

  const authorizationRequired = (server: McpOAuthServer, key: GrantKey) =>
    new AppError(
      'MCP_OAUTH_AUTHORIZATION_REQUIRED',
      `MCP server ${server.id} has no OAuth grant${key.userKey ? ' for this user' : ''}: a tenant admin authorizes it with ${authorizeRoute(server.id)}`,
      { details: { server_id: server.id, authorize: authorizeRoute(server.id) } },
    );

  async function openJson<T>(key: GrantKey, field: string, sealed: string | null): Promise<T | null> {
    if (sealed === null) return null;
    const plain = await secrets.open(key.tenantId, aadOf(key, field), sealed);
    return plain === null ? null : (JSON.parse(plain) as T);
  }

  async function load(key: GrantKey): Promise<OpenGrant | null> {
    const row = await store.getGrant(key);
    if (!row) return null;
    return {
      tokens: await openJson<StoredOAuthTokens>(key, 'tokens', row.tokens),
      clientInfo: await openJson<StoredOAuthClientInformation>(key, 'client', row.clientInfo),
      discovery: row.discovery === null ? null : (JSON.parse(row.discovery) as OAuthDiscoveryState),
      stepUpScope: row.stepUpScope,
      expiresAt: row.expiresAt,
      version: row.version,
    };
  }

  const usable = (grant: OpenGrant | null): grant is OpenGrant & { tokens: StoredOAuthTokens } =>
    grant?.tokens != null && (grant.expiresAt === null || now() < grant.expiresAt - skewMs);

  async function preRegistered(server: McpOAuthServer, tenantId: string) {
    const { clientId, clientSecretName } = server.oauth;
    if (!clientId) {
      if (server.oauth.grant === 'client_credentials') {
        throw new AppError('MCP_OAUTH_FAILED', `MCP server ${server.id}: client credentials need a client id`);
      }
      return null;
    }
    let clientSecret: string | undefined;
    if (clientSecretName) {
      const value = await secrets.reveal(tenantId, clientSecretName);
      if (value === null) {
        throw new AppError('MCP_OAUTH_FAILED', `MCP server ${server.id}: the secret ${clientSecretName} is not set`);
      }
      clientSecret = value;
    }
    return { clientId, clientSecret };
  }

  async function providerFor(
    server: McpOAuthServer,
    key: GrantKey,
    grant: Pick<OpenGrant, 'tokens' | 'clientInfo' | 'discovery'> | null,
    extra: { state?: string; codeVerifier?: string } = {},
  ) {
    return new StoredOAuthProvider({
      tokens: grant?.tokens ?? null,
      clientInfo: grant?.clientInfo ?? null,
      discovery: grant?.discovery ?? null,
      redirectUrl: server.oauth.grant === 'authorization_code' ? options.redirectUrl : undefined,
      clientName,
      scope: server.oauth.scope ?? undefined,
      preRegistered: await preRegistered(server, key.tenantId),
      now,
      ...extra,
    });
  }

  /** Seals and writes what a run of `auth()` produced; null when another writer changed the grant first. */
  async function persist(key: GrantKey, provider: StoredOAuthProvider, expectedVersion: number | null) {
    const { tokens, clientInfo, discovery } = provider.snapshot();
    const expiresIn = tokens?.expires_in;
    const expiresAt =
      tokens && typeof expiresIn === 'number' && provider.obtainedAt !== null
        ? provider.obtainedAt + expiresIn * 1000
        : null;
    return store.saveGrant(
      key,
      {
        tokens: tokens ? await secrets.seal(key.tenantId, aadOf(key, 'tokens'), JSON.stringify(tokens)) : null,
        clientInfo: clientInfo
          ? await secrets.seal(key.tenantId, aadOf(key, 'client'), JSON.stringify(clientInfo))
          : null,
        discovery: discovery ? JSON.stringify(discovery) : null,
        expiresAt,
      },
      expectedVersion,
    );
  }

  function oauthFailure(server: McpOAuthServer, error: unknown): AppError {
    // Enclave's own errors (a refused outbound address: OUTBOUND_BLOCKED, …) keep their code, wrapped or not.
    for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
      if (cause instanceof AppError) return cause;
    }
    const reason = error instanceof OAuthError ? `${error.code}: ${error.message}` : 'the request failed';
    return new AppError('MCP_OAUTH_FAILED', `MCP server ${server.id}: OAuth ${reason}`, { cause: error });
  }

  /** Runs the token flow (refresh, or client credentials) under the lease, and stores the result. */
  async function runTokenFlow(server: McpOAuthServer, key: GrantKey, grant: OpenGrant, challenge: Challenge) {
    const provider = await providerFor(server, key, grant);
    let result: string;
    try {
      result = await auth(provider, {
        serverUrl: server.url,
        resourceMetadataUrl: challenge.resourceMetadataUrl,
        scope: challenge.scope,
        fetchFn,
      });
    } catch (error) {
      throw oauthFailure(server, error);
    }
    if (result !== 'AUTHORIZED' || !provider.tokensSaved) {
      // The refresh token was refused (revoked, or reuse detected): the grant is gone, say so once.
      if (provider.tokensInvalidated) await persist(key, provider, grant.version);
      throw authorizationRequired(server, key);
    }
    const version = await persist(key, provider, grant.version);
    const stored = await load(key);
    if (version === null && !usable(stored)) throw authorizationRequired(server, key);
    return stored as OpenGrant;
  }

  /**
   * One refresh per grant. `seenVersion` is the version whose token the caller found expired or
   * refused: if the stored grant has moved on and is usable, that is the answer without a request.
   */
  function refresh(server: McpOAuthServer, key: GrantKey, seenVersion: number, challenge: Challenge = {}) {
    const flightKey = JSON.stringify([key.tenantId, key.serverId, key.userKey]);
    return flights.run(flightKey, async () => {
      const owner = `${instance}:${randomUUID()}`;
      const deadline = now() + leaseMs;
      for (;;) {
        const current = await load(key);
        if (usable(current) && current.version !== seenVersion) return current;
        if (await store.claimLease(key, owner, now(), now() + leaseMs)) {
          try {
            const held = (await load(key)) as OpenGrant;
            if (usable(held) && held.version !== seenVersion) return held;
            if (!held.tokens && server.oauth.grant === 'authorization_code') throw authorizationRequired(server, key);
            return await runTokenFlow(server, key, held, challenge);
          } finally {
            await store.releaseLease(key, owner);
          }
        }
        if (now() >= deadline) {
          throw new AppError(
            'MCP_OAUTH_FAILED',
            `MCP server ${server.id}: another replica is still refreshing the grant`,
          );
        }
        await sleep(pollMs);
      }
    });
  }

  return {
    /**
     * The SDK `AuthProvider` a transport of this server uses for one caller: `token()` before every
     * request (refreshing an expired token first, single-flight), `onUnauthorized` on a 401.
     * Only this caller's grant is ever read: never another user's, never another tenant's.
     */
    authProvider(server: McpOAuthServer, caller: McpOAuthCaller): AuthProvider {
      const key = grantKey(server, caller);
      let lastVersion = -1;
      return {
        async token() {
          let grant = await load(key);
          if (!grant?.tokens && server.oauth.grant === 'authorization_code') throw authorizationRequired(server, key);
          if (!usable(grant)) grant = await refresh(server, key, grant?.version ?? -1);
          lastVersion = grant.version;
          return grant.tokens?.access_token;
        },
        async onUnauthorized(ctx) {
          const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(ctx.response);
          await refresh(server, key, lastVersion, { resourceMetadataUrl, scope });
        },
      };
    },

    /**
     * Starts the authorization-code grant for a tenant admin: discovery (from the server's 401
     * challenge), registration when there is no client id, PKCE, and a single-use `state` bound to
     * the tenant, server and user. Returns the URL to open in a browser.
     */
    async startAuthorization(server: McpOAuthServer, caller: McpOAuthCaller) {
      if (server.oauth.grant !== 'authorization_code') {
        throw new AppError('MCP_OAUTH_NOT_APPLICABLE', `MCP server ${server.id} uses the client credentials grant`);
      }
      const key = grantKey(server, caller);
      const secret = randomBytes(32).toString('base64url');
      const state = `${Buffer.from(key.tenantId).toString('base64url')}.${secret}`;
      const existing = await load(key);
      const provider = await providerFor(
        server,
        key,
        { tokens: null, clientInfo: existing?.clientInfo ?? null, discovery: null },
        { state },
      );
      try {
        const challenge = await probe(server.url);
        // After a 403 insufficient_scope, ask for what was granted plus what the server demanded.
        const scope = existing?.stepUpScope
          ? computeScopeUnion(server.oauth.scope ?? challenge.scope, existing.tokens?.scope, existing.stepUpScope)
          : (server.oauth.scope ?? challenge.scope);
        const result = await auth(provider, {
          serverUrl: server.url,
          resourceMetadataUrl: challenge.resourceMetadataUrl,
          scope,
          fetchFn,
          forceReauthorization: true,
        });
        if (result !== 'REDIRECT' || !provider.authorizationUrl) throw new Error('no authorization URL');
      } catch (error) {
        throw oauthFailure(server, error);
      }
      const expiresAt = now() + stateTtlMs;
      const context = { discovery: provider.discoveryState() ?? null, clientInfo: provider.storedClientInfo() };
      const pendingAad = `mcp-oauth-pending:${hashState(secret)}`;
      await store.putPending(key.tenantId, hashState(secret), {
        serverId: server.id,
        userKey: key.userKey,
        codeVerifier: await secrets.seal(key.tenantId, `${pendingAad}:verifier`, provider.codeVerifier()),
        context: await secrets.seal(key.tenantId, `${pendingAad}:context`, JSON.stringify(context)),
        expiresAt,
      });
      return { authorizationUrl: provider.authorizationUrl.href, expiresAt: new Date(expiresAt).toISOString() };
    },

    /**
     * The callback leg: redeems the single-use `state`, exchanges the code (with the PKCE verifier
     * and the issuer check) and stores the grant encrypted. `findServer` looks the server up in the
     * state's tenant; a state that is unknown, used, expired or names a deleted server is refused.
     */
    async completeAuthorization(
      params: { state: string; code: string; iss?: string | undefined },
      findServer: (tenantId: string, serverId: string) => Promise<McpOAuthServer | null>,
    ) {
      const invalid = () => new AppError('MCP_OAUTH_STATE_INVALID');
      const [tenantPart, secret] = params.state.split('.');
      if (!tenantPart || !secret || params.state.split('.').length !== 2) throw invalid();
      const tenantId = Buffer.from(tenantPart, 'base64url').toString('utf8');
      const stateHash = hashState(secret);
      let pending: Awaited<ReturnType<McpOAuthStore['takePending']>>;
      try {
        pending = await store.takePending(tenantId, stateHash, now());
      } catch {
        throw invalid();
      }
      if (!pending) throw invalid();
      const server = await findServer(tenantId, pending.serverId);
      if (server?.oauth.grant !== 'authorization_code' || server.perUser !== (pending.userKey !== '')) {
        throw invalid();
      }
      const key: GrantKey = { tenantId, serverId: server.id, userKey: pending.userKey };
      const pendingAad = `mcp-oauth-pending:${stateHash}`;
      const codeVerifier = await secrets.open(tenantId, `${pendingAad}:verifier`, pending.codeVerifier);
      const context = await secrets.open(tenantId, `${pendingAad}:context`, pending.context);
      if (codeVerifier === null || context === null) throw invalid();
      const { discovery, clientInfo } = JSON.parse(context) as {
        discovery: OAuthDiscoveryState | null;
        clientInfo: StoredOAuthClientInformation | null;
      };
      const provider = await providerFor(server, key, { tokens: null, clientInfo, discovery }, { codeVerifier });
      try {
        const result = await auth(provider, {
          serverUrl: server.url,
          authorizationCode: params.code,
          iss: params.iss,
          fetchFn,
        });
        if (result !== 'AUTHORIZED' || !provider.tokensSaved) throw new Error('no tokens');
      } catch (error) {
        throw oauthFailure(server, error);
      }
      await persist(key, provider, null);
      return { tenantId, serverId: server.id, userId: key.userKey || null };
    },

    /**
     * Maps a failed MCP request of this caller to Enclave's error. A `403 insufficient_scope` (the
     * SDK's InsufficientScopeError) needs a person to authorize the wider scope: the scope is kept
     * for the next authorization and the turn gets MCP_OAUTH_AUTHORIZATION_REQUIRED. Null for an
     * error that is not about OAuth.
     */
    async failure(server: McpOAuthServer, caller: McpOAuthCaller, error: unknown): Promise<AppError | null> {
      if (error instanceof AppError) return error;
      if (!(error instanceof InsufficientScopeError)) return null;
      const key = grantKey(server, caller);
      if (error.requiredScope) await store.setStepUpScope(key, error.requiredScope);
      return new AppError(
        'MCP_OAUTH_AUTHORIZATION_REQUIRED',
        `MCP server ${server.id} needs the scope ${error.requiredScope ?? '(unnamed)'}: authorize it again with ${authorizeRoute(server.id)}`,
        { details: { server_id: server.id, authorize: authorizeRoute(server.id), scope: error.requiredScope ?? null } },
      );
    },

    /** Whether a caller has a stored grant, and until when its access token runs (never the token). */
    async status(server: McpOAuthServer, caller: McpOAuthCaller) {
      const grant = await load(grantKey(server, caller));
      return {
        authorized: grant?.tokens != null,
        expiresAt: grant?.expiresAt == null ? null : new Date(grant.expiresAt).toISOString(),
      };
    },

    /** Forgets a caller's grant (the next turn needs a new authorization). */
    revoke: (server: McpOAuthServer, caller: McpOAuthCaller) => store.deleteGrant(grantKey(server, caller)),

    /** Forgets every grant of a deleted server. */
    forgetServer: (tenantId: string, serverId: string) => store.deleteServerGrants(tenantId, serverId),
  };

  /** An unauthenticated request whose 401 names the resource metadata and scope (RFC 9728). */
  async function probe(url: string): Promise<Challenge> {
    const response = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: clientName, version: '1' } },
      }),
    });
    await response.body?.cancel();
    return response.status === 401 ? extractWWWAuthenticateParams(response) : {};
  }
}

export type McpOAuth = ReturnType<typeof createMcpOAuth>;
