import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Scope } from '../../../core/auth/principal.ts';
import { AppError } from '../../../core/errors.ts';
import { TENANT_ID_PATTERN } from '../../../core/tenants/tenant-id.ts';
import { actorOf, requireAdmin, tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';

/** How a tenant-owned resource route finds its tenant: from the credential, or from the admin path. */
export interface TenantScope {
  prefix: string;
  params: z.ZodObject;
  resolve(request: FastifyRequest, scope: Scope): Promise<{ tenantId: string; actor: string; operator: boolean }>;
}

/** `/v1/...`: the credential's own tenant (an admin names it with `Tenant-ID`). */
export function selfScope(services: AppServices): TenantScope {
  return {
    prefix: '/v1',
    params: z.object({}),
    async resolve(request, scope) {
      const access = await tenantAccess(request, services.tenants, { scope, named: namedTenant(request) });
      if (!access.tenant) throw new AppError('TENANT_NOT_FOUND');
      return { tenantId: access.tenantId, actor: actorOf(request), operator: access.privileged };
    },
  };
}

/** `/v1/admin/tenants/{tenant_id}/...`: an admin acting for the tenant in the path. */
export function adminScope(services: AppServices): TenantScope {
  return {
    prefix: '/v1/admin/tenants/:tenant_id',
    params: z.object({ tenant_id: z.string().regex(TENANT_ID_PATTERN, 'must be a valid tenant id') }),
    async resolve(request) {
      const actor = requireAdmin(request);
      const tenantId = (request.params as { tenant_id: string }).tenant_id;
      if (!(await services.storage.getTenant(tenantId))) throw new AppError('TENANT_NOT_FOUND');
      return { tenantId, actor, operator: true };
    },
  };
}
