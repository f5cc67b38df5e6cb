import type { Principal } from '../core/auth/principal.ts';
import { AppError } from '../core/errors.ts';
import type { CredentialLookup, CredentialMatch } from '../core/ports.ts';
import { createTtlCache } from '../core/ttl-cache.ts';
import { hashApiKey, isWellFormedApiKey, sameHash } from './api-key.ts';
import { DEFAULT_TENANT_CLAIM, type JwtTrust, JwtVerificationError, type JwtVerifier } from './jwt.ts';

export interface PrincipalResolverOptions {
  credentials: CredentialLookup;
  jwt: JwtVerifier;
  /**
   * The JWT trust a tenant configured for itself, or null. `'unusable'`: the tenant has a trust
   * that cannot be used now (its signing secret cannot be read); its tokens are refused, never
   * checked against the platform trust instead.
   */
  tenantTrust(tenantId: string): Promise<JwtTrust | 'unusable' | null>;
  /** Platform-wide JWT trust (the SaaS backend signs for any tenant), or null. */
  platformTrust: JwtTrust | null;
  /** SHA-256 of `ENCLAVE_ADMIN_KEY`, or null. */
  adminKeyHash: string | null;
  /** Called on each successful API key use; the caller throttles the write. */
  onKeyUsed(tenantId: string, keyId: string): void;
  now: () => number;
  /**
   * How long a found key record is reused without a lookup (default 2 s). Revocation and expiry are
   * checked on every use against the record; a revocation made by another process (the CLI, another
   * replica) takes effect within this time, one made through this process at once.
   */
  cacheTtlMs?: number;
  /** Most cached key records (default 10,000). Unknown keys are never cached. */
  cacheMaxEntries?: number;
}

/** Every failure says only "invalid credential" to the client; the reason goes to the log. */
function unauthenticated(reason: string, cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', 'The credential is missing, malformed, expired or revoked', {
    cause,
    details: { reason },
  });
}

/**
 * Turns an `Authorization` header into a Principal: an API key (`enc_…`), the admin key, or a JWT
 * verified with the trust of the tenant it names (or the platform trust). Anything else is
 * UNAUTHENTICATED. A JWT naming tenant B is only ever checked against B's trust, so A's signing
 * key can never mint a token for B.
 */
export function createPrincipalResolver(options: PrincipalResolverOptions) {
  const cache = createTtlCache<string, CredentialMatch>({
    ttlMs: options.cacheTtlMs ?? 2_000,
    maxEntries: options.cacheMaxEntries ?? 10_000,
    now: options.now,
  });

  async function lookup(hash: string): Promise<CredentialMatch | null> {
    const hit = cache.get(hash);
    if (hit) return hit;
    const match = await options.credentials.findByHash(hash);
    if (match) cache.set(hash, match);
    else cache.delete(hash);
    return match;
  }

  function forget(test: (match: CredentialMatch) => boolean): void {
    cache.deleteWhere(test);
  }

  async function fromKey(token: string): Promise<Principal> {
    const hash = hashApiKey(token);
    if (options.adminKeyHash && sameHash(hash, options.adminKeyHash)) return { kind: 'admin', keyId: 'env' };
    if (!isWellFormedApiKey(token)) throw unauthenticated('malformed-key');
    const match = await lookup(hash);
    if (!match || !sameHash(match.hash, hash)) throw unauthenticated('unknown-key');
    if (match.kind === 'admin-key') {
      if (match.key.revokedAt) throw unauthenticated('revoked');
      return { kind: 'admin', keyId: match.key.id };
    }
    const { key } = match;
    if (key.revokedAt) throw unauthenticated('revoked');
    if (key.expiresAt && Date.parse(key.expiresAt) <= options.now()) throw unauthenticated('expired');
    options.onKeyUsed(key.tenantId, key.id);
    return {
      kind: 'tenant',
      tenantId: key.tenantId,
      keyId: key.id,
      userId: null,
      scopes: new Set(key.scopes),
      limits: key.limits,
      via: 'api-key',
    };
  }

  async function fromJwt(token: string): Promise<Principal> {
    const claim = options.platformTrust?.claims?.tenant ?? DEFAULT_TENANT_CLAIM;
    const named = options.jwt.peekTenant(token, claim);
    if (!named) throw unauthenticated('jwt-without-tenant');
    const trust = (await options.tenantTrust(named)) ?? options.platformTrust;
    if (trust === 'unusable') throw unauthenticated('jwt-trust-unusable');
    if (!trust) throw unauthenticated('no-jwt-trust');
    try {
      const verified = await options.jwt.verify(token, trust);
      if (verified.tenantId !== named) throw unauthenticated('jwt-tenant-changed');
      return {
        kind: 'tenant',
        tenantId: verified.tenantId,
        keyId: null,
        userId: verified.userId,
        scopes: new Set(verified.scopes),
        limits: null,
        via: 'jwt',
      };
    } catch (error) {
      if (error instanceof JwtVerificationError) throw unauthenticated(`jwt-${error.reason}`, error);
      throw error;
    }
  }

  return {
    /** Drops a cached key record after this process revoked it. */
    forgetKey(keyId: string): void {
      forget((match) => match.key.id === keyId);
    },
    /** Drops every cached key of a tenant (deleted or suspended by this process). */
    forgetTenant(tenantId: string): void {
      forget((match) => match.kind === 'tenant-key' && match.key.tenantId === tenantId);
    },
    /** Resolves the principal of an `Authorization: Bearer …` header; throws UNAUTHENTICATED. */
    async resolve(authorization: string | undefined): Promise<Principal> {
      if (!authorization) throw unauthenticated('missing');
      const match = /^Bearer +(\S{1,16384})$/i.exec(authorization.trim());
      const token = match?.[1];
      if (!token) throw unauthenticated('not-bearer');
      return options.jwt.looksLikeJwt(token) ? fromJwt(token) : fromKey(token);
    },
  };
}

export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;
