import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { isTenantId } from '../../core/tenants/tenant-id.ts';

/**
 * The tenant of a `/v1` request. Until credentials land (identity issue), it is the
 * `Tenant-ID` header; this is the one place that changes when they do.
 */
export function tenantOf(request: FastifyRequest): string {
  const header = request.headers['tenant-id'];
  if (header === undefined || header === '') throw new AppError('TENANT_ID_REQUIRED');
  if (typeof header !== 'string' || !isTenantId(header)) {
    throw new AppError('VALIDATION_FAILED', 'headers.tenant-id: must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');
  }
  return header;
}
