import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeIdCursor } from '../../../core/conversations/cursor.ts';
import type { AppServices } from '../../app-services.ts';
import { pageJson, pageQuerySchema, pageSchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import { auditEntrySchema, toAuditJson } from '../../schemas/tenant.ts';
import type { TenantScope } from './tenant-scope.ts';

/**
 * The calling tenant's own audit log (key, config, agent and secret changes, and what operators
 * did to it), newest first. It needs `keys:manage`, the tenant administrator's scope. Operators
 * read any tenant's at `/v1/admin/tenants/{tenant_id}/audit`.
 */
export function tenantAuditRoutes(services: AppServices, scope: TenantScope): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      `${scope.prefix}/audit`,
      {
        schema: {
          tags: ['audit'],
          summary: "The calling tenant's audit log, newest first (needs keys:manage)",
          params: scope.params,
          querystring: pageQuerySchema(50, 500),
          response: { 200: pageSchema(auditEntrySchema), ...problems(401, 403, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'keys:manage');
        const { limit, cursor } = request.query;
        const entries = await services.storage.listAudit(tenantId, {
          limit: limit + 1,
          beforeId: cursor === undefined ? null : decodeIdCursor(cursor),
        });
        return pageJson(entries, limit, (item) => item.id, toAuditJson);
      },
    );
  };
}
