import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { isTenantId } from '../../core/tenants/tenant-id.ts';

/**
 * The tenant a `/v1` request names in its `Tenant-ID` header, if any. With a tenant credential it
 * is optional and must match; an admin (or anyone while auth is disabled) must send it.
 */
export function namedTenant(request: FastifyRequest): string | undefined {
  const header = request.headers['tenant-id'];
  if (header === undefined || header === '') return undefined;
  if (typeof header !== 'string' || !isTenantId(header)) {
    throw new AppError('VALIDATION_FAILED', 'headers.tenant-id: must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');
  }
  return header;
}
