import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { tenantAccess } from '../access.ts';
import type { AppServices } from '../app-services.ts';
import { namedTenant } from '../plugins/tenant-header.ts';

/**
 * The tenant of an OpenAI-compatible request, from its credential, with scope `chat`. A tenant
 * the credential names but that does not exist answers TENANT_NOT_FOUND, as on `/v1/sessions`.
 */
export async function openAiTenant(
  services: AppServices,
  request: FastifyRequest,
): Promise<{ tenantId: string; userId: string | null; access: Awaited<ReturnType<typeof tenantAccess>> }> {
  const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
  if (!access.tenant && request.principal.kind !== 'open') throw new AppError('TENANT_NOT_FOUND');
  return { tenantId: access.tenantId, userId: access.actor.userId, access };
}
