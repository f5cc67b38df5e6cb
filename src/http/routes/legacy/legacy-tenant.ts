import type { FastifyRequest } from 'fastify';
import { AppError } from '../../../core/errors.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';

/**
 * The tenant a legacy request names (its body or path `tenant_id`), checked against a `Tenant-ID`
 * header. With a credential, a header that names another tenant answers 403 `TENANT_MISMATCH`, as
 * on `/v1`: a client that sends both must not be served for either one silently. While auth is
 * disabled the header is ignored, as the original API ignored it (the seed contract).
 */
export function legacyNamedTenant(request: FastifyRequest, named: string): string {
  if (request.principal.kind === 'open') return named;
  const header = namedTenant(request);
  if (header !== undefined && header !== named) throw new AppError('TENANT_MISMATCH');
  return named;
}
