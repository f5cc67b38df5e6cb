import type { FastifyRequest } from 'fastify';
import type { NewAuditEntry } from '../core/audit/audit-entry.ts';
import type { AppServices } from './app-services.ts';

/** Appends an audit entry for the action this request performed, stamped with its request id. */
export function recordAudit(
  services: Pick<AppServices, 'storage'>,
  request: FastifyRequest,
  entry: Omit<NewAuditEntry, 'requestId'>,
): Promise<unknown> {
  return services.storage.appendAudit({ ...entry, requestId: request.id });
}
