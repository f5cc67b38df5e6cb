import {
  type CryptoKey,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  jwtVerify,
  type RemoteJWKSet,
} from 'jose';
import { isScope, type Scope } from '../core/auth/principal.ts';
import { isUserId, USER_ID_PATTERN } from '../core/auth/user-id.ts';

/** How one tenant's JWTs are trusted. */
export interface JwtTrust {
  /** HS256 shared secret (≥ 32 bytes) or a JWKS URL (RS256/ES256/EdDSA keys). Exactly one. */
  secret?: string;
  jwksUrl?: string;
  /** Required `iss` when set. */
  issuer?: string;
  /** Required `aud` when set. */
  audience?: string;
  /** Tolerance for `exp`/`nbf`, default 30. */
  clockSkewSeconds?: number;
  /** Claim names; defaults 'tenant_id', 'sub', 'scope'. */
  claims?: { tenant?: string; user?: string; scopes?: string };
}

export interface VerifiedJwt {
  tenantId: string;
  userId: string | null;
  scopes: Scope[];
  claims: JWTPayload;
}

export type JwtFailureReason =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'issuer'
  | 'audience'
  | 'unknown-key'
  | 'jwks-unavailable'
  | 'missing-tenant'
  | 'bad-user'
  | 'bad-scopes';

/** A token was rejected. `reason` is short and stable; the message never contains token content. Maps to 401. */
export class JwtVerificationError extends Error {
  override name = 'JwtVerificationError';
  readonly reason: JwtFailureReason;

  constructor(reason: JwtFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}

export interface JwtVerifierOptions {
  /** Fetch used for JWKS requests (default: global fetch). Called with `redirect: 'manual'`. */
  fetch?: typeof fetch;
  /** How long fetched keys are used before a refetch (default 10 minutes). */
  jwksCacheMaxAgeMs?: number;
  /** Minimum gap after a successful fetch before an unknown `kid` triggers another fetch (default 30 s). */
  jwksCooldownMs?: number;
  /** JWKS request timeout (default 5 s). */
  timeoutMs?: number;
  /** Most JWKS URLs kept cached; least recently used is evicted (default 1000). */
  maxJwksUrls?: number;
}

export interface JwtVerifier {
  /** Reads the tenant claim WITHOUT verifying (only to choose which tenant's trust to load). Returns null if the token is not a JWT or has no string tenant claim. */
  peekTenant(token: string, tenantClaim?: string): string | null;
  /** Verifies signature, alg, exp/nbf (with skew), iss, aud; maps claims. Throws JwtVerificationError. */
  verify(token: string, trust: JwtTrust): Promise<VerifiedJwt>;
  /** True when the string looks like a compact JWS (three base64url parts). */
  looksLikeJwt(token: string): boolean;
}

export const DEFAULT_TENANT_CLAIM = 'tenant_id';
export const DEFAULT_USER_CLAIM = 'sub';
export const DEFAULT_SCOPES_CLAIM = 'scope';
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
export const MIN_SECRET_BYTES = 32;
/** Longer strings are never treated as JWTs (bounds decoding work on hostile input). */
export const MAX_JWT_LENGTH = 16 * 1024;

/** HS* is allowed only with a shared secret; JWKS trust never accepts HS* (algorithm confusion) nor `none`. */
const SECRET_ALGORITHMS = ['HS256'];
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];
/** When a JWKS holds several keys matching a token without `kid`, at most this many are tried. */
const MAX_CANDIDATE_KEYS = 8;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const encoder = new TextEncoder();

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/** Throws TypeError when a trust configuration is unusable (a server-side misconfiguration, not a bad token). */
export function assertValidJwtTrust(trust: JwtTrust): void {
  const hasSecret = trust.secret !== undefined;
  const hasJwks = trust.jwksUrl !== undefined;
  if (hasSecret === hasJwks) throw new TypeError('JWT trust needs exactly one of secret or jwksUrl');
  if (hasSecret && encoder.encode(trust.secret).byteLength < MIN_SECRET_BYTES) {
    throw new TypeError(`JWT secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (hasJwks) {
    const url = URL.parse(trust.jwksUrl ?? '');
    if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new TypeError('JWT jwksUrl must be an http(s) URL');
    }
  }
  const skew = trust.clockSkewSeconds;
  if (skew !== undefined && (!Number.isFinite(skew) || skew < 0)) {
    throw new TypeError('JWT clockSkewSeconds must be a non-negative number');
  }
}

export function createJwtVerifier(options: JwtVerifierOptions = {}): JwtVerifier {
  const maxUrls = Math.max(1, options.maxJwksUrls ?? 1000);
  const remoteSets = new Map<string, RemoteJWKSet>();

  function remoteSet(jwksUrl: string): RemoteJWKSet {
    const href = new URL(jwksUrl).href;
    const cached = remoteSets.get(href);
    if (cached !== undefined) {
      // Refresh recency: Map iteration order is insertion order, so the first key is the least recently used.
      remoteSets.delete(href);
      remoteSets.set(href, cached);
      return cached;
    }
    const created = createRemoteJWKSet(new URL(href), {
      timeoutDuration: Math.max(0, Math.floor(options.timeoutMs ?? 5000)),
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 10 * 60_000,
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
      ...(options.fetch === undefined ? {} : { [customFetch]: options.fetch }),
    });
    while (remoteSets.size >= maxUrls) {
      const oldest = remoteSets.keys().next();
      if (oldest.done === true) break;
      remoteSets.delete(oldest.value);
    }
    remoteSets.set(href, created);
    return created;
  }

  /** Wraps the remote set so that fetch/parse failures are told apart from an unknown key. */
  function jwksResolver(jwksUrl: string): KeyResolver {
    const set = remoteSet(jwksUrl);
    return async (header, token) => {
      try {
        return await set(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw new JwtVerificationError('jwks-unavailable', 'JWKS could not be fetched', { cause: error });
      }
    };
  }

  function looksLikeJwt(token: string): boolean {
    return typeof token === 'string' && token.length <= MAX_JWT_LENGTH && COMPACT_JWS.test(token);
  }

  function peekTenant(token: string, tenantClaim: string = DEFAULT_TENANT_CLAIM): string | null {
    if (!looksLikeJwt(token)) return null;
    try {
      const tenant = readClaim(decodeJwt(token), tenantClaim);
      return typeof tenant === 'string' && tenant !== '' ? tenant : null;
    } catch {
      return null;
    }
  }

  async function verify(token: string, trust: JwtTrust): Promise<VerifiedJwt> {
    assertValidJwtTrust(trust);
    if (!looksLikeJwt(token)) throw new JwtVerificationError('malformed', 'Token is not a compact JWS');
    const verifyOptions: JWTVerifyOptions = {
      algorithms: trust.secret !== undefined ? SECRET_ALGORITHMS : JWKS_ALGORITHMS,
      clockTolerance: trust.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
      ...(trust.issuer === undefined ? {} : { issuer: trust.issuer }),
      ...(trust.audience === undefined ? {} : { audience: trust.audience }),
    };

    let result: JWTVerifyResult;
    try {
      if (trust.secret !== undefined) {
        result = await jwtVerify(token, encoder.encode(trust.secret), verifyOptions);
      } else {
        result = await verifyWithJwks(token, jwksResolver(trust.jwksUrl ?? ''), verifyOptions);
      }
    } catch (error) {
      throw toVerificationError(error);
    }
    return mapClaims(result.payload, trust);
  }

  return { peekTenant, verify, looksLikeJwt };
}

async function verifyWithJwks(
  token: string,
  resolver: KeyResolver,
  verifyOptions: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, resolver, verifyOptions);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    // Several keys match (typically no `kid` during a rotation overlap): try each, bounded.
    let tried = 0;
    for await (const key of error) {
      if (++tried > MAX_CANDIDATE_KEYS) break;
      try {
        return await jwtVerify(token, key, verifyOptions);
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

function toVerificationError(error: unknown): JwtVerificationError {
  if (error instanceof JwtVerificationError) return error;
  const cause = { cause: error };
  if (error instanceof errors.JWTExpired) return new JwtVerificationError('expired', 'JWT has expired', cause);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'check_failed') {
      if (error.claim === 'nbf') return new JwtVerificationError('not-yet-valid', 'JWT is not yet valid', cause);
      if (error.claim === 'iss') return new JwtVerificationError('issuer', 'JWT issuer is not trusted', cause);
      if (error.claim === 'aud') return new JwtVerificationError('audience', 'JWT audience does not match', cause);
    }
    if (error.reason === 'missing') {
      if (error.claim === 'iss') return new JwtVerificationError('issuer', 'JWT has no issuer', cause);
      if (error.claim === 'aud') return new JwtVerificationError('audience', 'JWT has no audience', cause);
    }
    return new JwtVerificationError('malformed', 'JWT claims are invalid', cause);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new JwtVerificationError('algorithm', 'JWT algorithm is not allowed', cause);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new JwtVerificationError('signature', 'JWT signature is invalid', cause);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new JwtVerificationError('unknown-key', 'JWT signing key is unknown', cause);
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new JwtVerificationError('jwks-unavailable', 'JWKS could not be fetched', cause);
  }
  // JWSInvalid, JWTInvalid, and anything unexpected (for example a too-short RSA key): fail closed.
  return new JwtVerificationError('malformed', 'JWT is malformed', cause);
}

function readClaim(payload: JWTPayload, name: string): unknown {
  return Object.hasOwn(payload, name) ? payload[name] : undefined;
}

function mapClaims(payload: JWTPayload, trust: JwtTrust): VerifiedJwt {
  const tenant = readClaim(payload, trust.claims?.tenant ?? DEFAULT_TENANT_CLAIM);
  if (typeof tenant !== 'string' || tenant === '') {
    throw new JwtVerificationError('missing-tenant', 'JWT has no tenant claim');
  }
  const user = readClaim(payload, trust.claims?.user ?? DEFAULT_USER_CLAIM);
  // The user id is stored on sessions, messages, usage and audit entries: it must follow the user-id rule
  // (which also keeps NUL and unpaired surrogates out), or its data could never be named for erasure.
  if (typeof user === 'string' && user !== '' && !isUserId(user)) {
    throw new JwtVerificationError('bad-user', `JWT user claim is not a user id (${USER_ID_PATTERN.source})`);
  }
  return {
    tenantId: tenant,
    userId: typeof user === 'string' && user !== '' ? user : null,
    scopes: parseScopes(readClaim(payload, trust.claims?.scopes ?? DEFAULT_SCOPES_CLAIM)),
    claims: payload,
  };
}

/** A space-separated string or an array of strings; absent means no scopes; unknown values are ignored. */
function parseScopes(value: unknown): Scope[] {
  if (value === undefined || value === null) return [];
  let items: unknown[];
  if (typeof value === 'string') items = value.split(/\s+/);
  else if (Array.isArray(value)) items = value;
  else throw new JwtVerificationError('bad-scopes', 'JWT scopes claim must be a string or an array of strings');
  const scopes = new Set<Scope>();
  for (const item of items) {
    if (typeof item !== 'string') {
      throw new JwtVerificationError('bad-scopes', 'JWT scopes claim must be a string or an array of strings');
    }
    if (isScope(item)) scopes.add(item);
  }
  return [...scopes];
}
