import type { LimitSettings } from '../tenants/tenant-config.ts';

/** What a tenant credential may do. */
export const SCOPES = ['chat', 'history:read', 'config:write', 'keys:manage'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Who is calling, resolved from the credential before any route runs.
 * - `tenant`: an API key or a JWT bound to one tenant; it can only ever act for that tenant.
 * - `admin`: the platform operator; it may act for any tenant but must name it explicitly.
 * - `open`: authentication is disabled (loopback development); the tenant named in the request is trusted.
 */
export type Principal =
  | {
      kind: 'tenant';
      tenantId: string;
      /** The API key id, or null for a JWT. */
      keyId: string | null;
      /** End user within the tenant (JWT `sub`), if any. */
      userId: string | null;
      scopes: ReadonlySet<Scope>;
      /** The API key's own limits, on top of the tenant's (null for none, and for JWTs). */
      limits: LimitSettings | null;
      via: 'api-key' | 'jwt';
    }
  | { kind: 'admin'; keyId: string }
  | { kind: 'open' };
