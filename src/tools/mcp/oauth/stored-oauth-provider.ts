import { randomBytes } from 'node:crypto';
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';

/** What one run of the SDK's `auth()` starts from, read from the store (already opened). */
export interface ProviderSnapshot {
  tokens: StoredOAuthTokens | null;
  clientInfo: StoredOAuthClientInformation | null;
  discovery: OAuthDiscoveryState | null;
}

export interface StoredOAuthProviderOptions extends ProviderSnapshot {
  /** The callback URL for the authorization-code grant; undefined for client credentials. */
  redirectUrl: string | undefined;
  clientName: string;
  /** Scope the server record asks for, if any. */
  scope: string | undefined;
  /** A client registered out of band (client id, and the secret revealed from the tenant's secrets). */
  preRegistered: { clientId: string; clientSecret: string | undefined } | null;
  /** The OAuth `state` of an authorization started now. */
  state?: string;
  /** The PKCE verifier saved when the authorization started (callback leg). */
  codeVerifier?: string;
  now: () => number;
}

/**
 * The SDK's `OAuthClientProvider` for one (tenant, server, user) grant, over a snapshot of the
 * stored grant. The SDK's `auth()` drives discovery, registration, PKCE and the token requests;
 * this object only holds what it reads and writes during one run. The caller persists the result
 * once, encrypted and with a compare-and-swap on the grant's version, and never hands the object
 * from one grant to another.
 */
export class StoredOAuthProvider implements OAuthClientProvider {
  #tokens: StoredOAuthTokens | undefined;
  #clientInfo: StoredOAuthClientInformation | undefined;
  #discovery: OAuthDiscoveryState | undefined;
  #codeVerifier: string | undefined;
  readonly #options: StoredOAuthProviderOptions;
  /** Set when the SDK saved new tokens in this run; `obtainedAt` dates `expires_in`. */
  tokensSaved = false;
  obtainedAt: number | null = null;
  /** Set when the SDK discarded the stored tokens (`invalid_grant`: revoked or reused refresh token). */
  tokensInvalidated = false;
  clientInfoChanged = false;
  /** The authorization URL the SDK built, when the run ended in `REDIRECT`. */
  authorizationUrl: URL | null = null;

  constructor(options: StoredOAuthProviderOptions) {
    this.#options = options;
    this.#tokens = options.tokens ?? undefined;
    this.#clientInfo = options.clientInfo ?? undefined;
    this.#discovery = options.discovery ?? undefined;
    this.#codeVerifier = options.codeVerifier;
  }

  get redirectUrl(): string | undefined {
    return this.#options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const interactive = this.#options.redirectUrl !== undefined;
    const confidential = this.#options.preRegistered?.clientSecret !== undefined;
    return {
      client_name: this.#options.clientName,
      redirect_uris: interactive ? [this.#options.redirectUrl as string] : [],
      grant_types: interactive ? ['authorization_code', 'refresh_token'] : ['client_credentials'],
      response_types: interactive ? ['code'] : [],
      token_endpoint_auth_method: confidential || !interactive ? 'client_secret_basic' : 'none',
      ...(this.#options.scope ? { scope: this.#options.scope } : {}),
    };
  }

  /**
   * The state of an authorization started by the authorize route. When the SDK falls back to a new
   * authorization during a turn (a refused refresh token), the URL it builds is thrown away: a
   * throwaway state that no store knows keeps it unredeemable.
   */
  state(): string {
    return this.#options.state ?? randomBytes(32).toString('base64url');
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    const pre = this.#options.preRegistered;
    if (pre) {
      // The stored copy carries the SDK's issuer stamp once it has one.
      const stamped = this.#clientInfo?.client_id === pre.clientId ? this.#clientInfo?.issuer : undefined;
      return {
        client_id: pre.clientId,
        ...(pre.clientSecret === undefined ? {} : { client_secret: pre.clientSecret }),
        ...(stamped ? { issuer: stamped } : {}),
      };
    }
    return this.#clientInfo;
  }

  saveClientInformation(info: StoredOAuthClientInformation): void {
    this.#clientInfo = info;
    this.clientInfoChanged = true;
  }

  /** What to persist: a pre-registered client's secret stays in the tenant's secrets, never copied here. */
  storedClientInfo(): StoredOAuthClientInformation | null {
    const info = this.#clientInfo;
    if (!info) return null;
    if (!this.#options.preRegistered) return info;
    const { client_secret: _secret, ...rest } = info;
    return rest;
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.#tokens = tokens;
    this.tokensSaved = true;
    this.tokensInvalidated = false;
    this.obtainedAt = this.#options.now();
  }

  redirectToAuthorization(authorizationUrl: URL): void {
    this.authorizationUrl = authorizationUrl;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.#codeVerifier) throw new Error('no PKCE code verifier for this authorization');
    return this.#codeVerifier;
  }

  prepareTokenRequest(scope?: string): URLSearchParams | undefined {
    if (this.#options.redirectUrl !== undefined) return undefined;
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) params.set('scope', scope);
    return params;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#discovery = state;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discovery;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') {
      this.#tokens = undefined;
      this.tokensInvalidated = true;
      this.tokensSaved = false;
    }
    if (scope === 'all' || scope === 'client') {
      this.#clientInfo = undefined;
      this.clientInfoChanged = true;
    }
    if (scope === 'all' || scope === 'verifier') this.#codeVerifier = undefined;
    if (scope === 'all' || scope === 'discovery') this.#discovery = undefined;
  }

  /** The snapshot to persist after a run. */
  snapshot(): ProviderSnapshot {
    return { tokens: this.#tokens ?? null, clientInfo: this.storedClientInfo(), discovery: this.#discovery ?? null };
  }
}
