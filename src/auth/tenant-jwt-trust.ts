import { isAppError } from '../core/errors.ts';
import type { TenantConfigVersion } from '../core/tenants/tenant-config.ts';
import { createTtlCache } from '../core/ttl-cache.ts';
import type { JwtTrust } from './jwt.ts';

/**
 * A tenant's own JWT trust, with its signing secret read from the encrypted secrets store (the
 * config names it). A revealed trust is reused for `ttlMs` (default 2 s) while the tenant's config
 * version stays the same, so a token does not cost a secret lookup each time; a rotated secret
 * takes effect within that time. A trust whose secret is missing (deleted, or no master key to
 * open it) is `'unusable'`: that tenant's tokens are refused, never verified with another trust.
 */
export function createTenantJwtTrust(options: {
  config(tenantId: string): Promise<TenantConfigVersion>;
  reveal(tenantId: string, name: string): Promise<string | null>;
  now: () => number;
  ttlMs?: number;
  maxEntries?: number;
}): (tenantId: string) => Promise<JwtTrust | 'unusable' | null> {
  const cache = createTtlCache<string, { version: number; trust: JwtTrust | 'unusable' }>({
    ttlMs: options.ttlMs ?? 2_000,
    maxEntries: options.maxEntries ?? 10_000,
    now: options.now,
  });

  async function reveal(tenantId: string, name: string): Promise<string | null> {
    try {
      return await options.reveal(tenantId, name);
    } catch (error) {
      // No master key: fail closed for this tenant's tokens. Anything else (the database, a
      // ciphertext that does not open) is a server fault: it propagates and is not cached.
      if (isAppError(error) && error.code === 'SECRETS_NOT_CONFIGURED') return null;
      throw error;
    }
  }

  return async (tenantId) => {
    const { version, config } = await options.config(tenantId);
    const jwt = config.jwt;
    if (!jwt) return null;
    const { secretName, ...trust } = jwt;
    // A legacy inline secret (not yet moved into the secrets store) works as it is.
    if (secretName === undefined) return trust;
    const hit = cache.get(tenantId);
    if (hit && hit.version === version) return hit.trust;
    const secret = await reveal(tenantId, secretName);
    const resolved: JwtTrust | 'unusable' = secret === null ? 'unusable' : { ...trust, secret };
    cache.set(tenantId, { version, trust: resolved });
    return resolved;
  };
}
