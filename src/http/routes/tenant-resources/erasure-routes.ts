import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { USER_ID_PATTERN } from '../../../core/auth/user-id.ts';
import type { AppServices } from '../../app-services.ts';
import { recordAudit } from '../../record-audit.ts';
import { problems } from '../../schemas/problem.ts';
import type { TenantScope } from './tenant-scope.ts';

/** Erasure of one end user's data within a tenant: their sessions, messages and usage records. */
export function erasureRoutes(services: AppServices, scope: TenantScope): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'users' : 'admin'];
  return async (app) => {
    app.delete(
      `${scope.prefix}/users/:user_id`,
      {
        schema: {
          tags,
          summary: "Erase one end user's sessions, messages and usage records",
          params: scope.params.extend({ user_id: z.string().regex(USER_ID_PATTERN, 'must be a user id') }),
          response: {
            200: z.object({
              user_id: z.string(),
              sessions: z.number().int(),
              messages: z.number().int(),
              usage_records: z.number().int(),
            }),
            ...problems(401, 403, 404, 422),
          },
        },
      },
      async (request) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const userId = (request.params as { user_id: string }).user_id;
        const { turnIds, ...erased } = await services.storage.eraseUser(tenantId, userId);
        // Their turns' events (the messages' content) go too, on every replica with Redis.
        await services.turnEvents.purge(tenantId, turnIds);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'user.erase',
          target: `user:${userId}`,
          details: erased,
        });
        return {
          user_id: userId,
          sessions: erased.sessions,
          messages: erased.messages,
          usage_records: erased.usageRecords,
        };
      },
    );
  };
}
