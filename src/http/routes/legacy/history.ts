import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LEGACY_SESSION_ID } from '../../../core/conversations/session.ts';
import { AppError } from '../../../core/errors.ts';
import { TENANT_ID_PATTERN } from '../../../core/tenants/tenant-id.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { pageQuerySchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import { legacyNamedTenant } from './legacy-tenant.ts';

/** `GET /agent/history/{tenant_id}`: the newest `limit` interactions, in arrival order. */
export function legacyHistoryRoute(services: AppServices): FastifyPluginAsyncZod {
  const query = pageQuerySchema(100, 1000)
    .omit({ cursor: true })
    .extend({
      before: z.string().min(1).max(256).optional().describe('next_cursor of the previous page'),
    });
  return async (app) => {
    app.get(
      '/agent/history/:tenant_id',
      {
        schema: {
          tags: ['legacy'],
          summary: 'Read the tenant interaction history (original API)',
          headers: z.looseObject({
            'tenant-id': z
              .string()
              .optional()
              .describe(
                'Optional; with a credential it must name the tenant of the path (403 `TENANT_MISMATCH`). Ignored while authentication is disabled.',
              ),
          }),
          params: z.object({ tenant_id: z.string().regex(TENANT_ID_PATTERN, 'must be a valid tenant id') }),
          querystring: query,
          response: {
            200: z.object({
              tenant_id: z.string(),
              history: z.array(z.object({ message: z.string(), response: z.string() })),
              has_more: z.boolean(),
              next_cursor: z.string().nullable(),
            }),
            ...problems(401, 403, 404, 422, 429),
          },
        },
      },
      async (request) => {
        const access = await tenantAccess(request, services.tenants, {
          scope: 'history:read',
          named: legacyNamedTenant(request, request.params.tenant_id),
        });
        if (!access.tenant) throw new AppError('TENANT_NOT_FOUND');
        const tenantId = access.tenantId;
        const page = await services.conversations.interactionHistory(tenantId, LEGACY_SESSION_ID, {
          limit: request.query.limit,
          before: request.query.before,
        });
        return {
          tenant_id: tenantId,
          history: page.data.map(({ message, response }) => ({ message, response })),
          has_more: page.hasMore,
          next_cursor: page.nextCursor,
        };
      },
    );
  };
}
