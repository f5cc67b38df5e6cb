import type { FastifyRequest } from 'fastify';
import type { AdmissionLimits } from '../core/agents/turn-admission.ts';
import type { Scope } from '../core/auth/principal.ts';
import { AppError } from '../core/errors.ts';
import type { TenantDirectory, TenantView } from '../core/tenants/tenant-directory.ts';

export interface TenantAccess extends TenantView {
  tenantId: string;
  /** Usage attribution. */
  actor: { keyId: string | null; userId: string | null };
  /** True when the caller is an admin or auth is disabled (may act for any tenant). */
  privileged: boolean;
  /** Limits for turns: the tenant's config and the key's own. */
  limits: AdmissionLimits;
}

/**
 * The one rule for which tenant a request acts for: the credential's tenant, never the body's.
 * A tenant named in the body, path or `Tenant-ID` header must equal it (else 403 TENANT_MISMATCH);
 * an admin, or anyone while auth is disabled, must name the tenant explicitly.
 */
export function tenantIdFor(request: FastifyRequest, options: { scope: Scope; named: string | undefined }): string {
  const principal = request.principal;
  if (principal.kind === 'tenant') {
    if (options.named !== undefined && options.named !== principal.tenantId) throw new AppError('TENANT_MISMATCH');
    if (!principal.scopes.has(options.scope)) {
      throw new AppError('INSUFFICIENT_SCOPE', `This route needs the ${options.scope} scope`);
    }
    return principal.tenantId;
  }
  if (options.named === undefined) throw new AppError('TENANT_ID_REQUIRED');
  return options.named;
}

/** Resolves the tenant for a request and refuses a suspended one (admins excepted). */
export async function tenantAccess(
  request: FastifyRequest,
  directory: TenantDirectory,
  options: { scope: Scope; named: string | undefined },
): Promise<TenantAccess> {
  const tenantId = tenantIdFor(request, options);
  const view = await directory.get(tenantId);
  const principal = request.principal;
  const privileged = principal.kind !== 'tenant';
  if (view.tenant?.status === 'suspended' && principal.kind !== 'admin') throw new AppError('TENANT_SUSPENDED');
  return {
    ...view,
    tenantId,
    privileged,
    limits: { tenant: view.config.config.limits, key: principal.kind === 'tenant' ? principal.limits : null },
    // Usage is attributed to tenant keys only; an admin acting for a tenant is in the audit log instead.
    actor:
      principal.kind === 'tenant'
        ? { keyId: principal.keyId, userId: principal.userId }
        : { keyId: null, userId: null },
  };
}

/** Admin routes: an admin credential, or auth disabled. */
export function requireAdmin(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal.kind === 'admin') return `admin:${principal.keyId}`;
  if (principal.kind === 'open') return 'open';
  throw new AppError('ADMIN_REQUIRED');
}

/** The actor string for the audit log. */
export function actorOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal.kind === 'admin') return `admin:${principal.keyId}`;
  if (principal.kind === 'tenant')
    return principal.keyId ? `key:${principal.keyId}` : `user:${principal.userId ?? 'jwt'}`;
  return 'open';
}
