import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '../core/auth/principal.ts';
import { isTenantId } from '../core/tenants/tenant-id.ts';

/** The parts of a request that say which tenant it acts for. */
export interface TenantNamingRequest {
  /** Null until authentication has run (or when it failed). */
  principal: Principal | null;
  params: unknown;
  body: unknown;
  headers: IncomingHttpHeaders;
}

function field(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[name];
  return typeof found === 'string' ? found : undefined;
}

/**
 * The tenant a request acts for, for logs and trace attributes only (authorisation is decided in
 * `src/http/access.ts`): a tenant credential's own tenant, otherwise the tenant the request names
 * in its `tenant_id` path parameter or body field or its `Tenant-ID` header, when that is a valid
 * tenant id. Null when there is none (admin-wide routes, a request that failed authentication).
 */
export function requestTenantId(request: TenantNamingRequest): string | null {
  if (request.principal?.kind === 'tenant') return request.principal.tenantId;
  const header = request.headers['tenant-id'];
  const named =
    field(request.params, 'tenant_id') ??
    field(request.body, 'tenant_id') ??
    (typeof header === 'string' ? header : undefined);
  return named !== undefined && isTenantId(named) ? named : null;
}
