import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { messageText } from '../../../core/conversations/message.ts';
import { LEGACY_SESSION_ID } from '../../../core/conversations/session.ts';
import { AppError } from '../../../core/errors.ts';
import { TENANT_ID_PATTERN } from '../../../core/tenants/tenant-id.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { claimingTurns } from '../../idempotency.ts';
import { problems } from '../../schemas/problem.ts';
import { legacyNamedTenant } from './legacy-tenant.ts';

const LEGACY_SESSION = { id: LEGACY_SESSION_ID, title: 'Legacy interactions', userId: null, metadata: {} };

/** `POST /agent/interact`: the original endpoint, unchanged for its clients. */
export function legacyInteractRoute(
  services: AppServices,
  options: { messageMaxChars: number },
): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/agent/interact',
      {
        schema: {
          tags: ['legacy'],
          summary: 'Send a message to the tenant agent (original API)',
          description:
            'Creates the tenant on first use while authentication is disabled, runs one turn on the tenant legacy session, and returns the reply.',
          headers: z.looseObject({
            'tenant-id': z
              .string()
              .optional()
              .describe(
                'Optional; with a credential it must name the same tenant as `tenant_id` (403 `TENANT_MISMATCH`). Ignored while authentication is disabled.',
              ),
            'idempotency-key': z
              .string()
              .optional()
              .describe(
                'Makes the interaction exactly-once: a retry with the same key and body gets the first response again, without running the model again; see docs/api.md.',
              ),
          }),
          body: z.object({
            tenant_id: z.string().regex(TENANT_ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
            message: z.string().max(options.messageMaxChars),
          }),
          response: {
            200: z.object({ tenant_id: z.string(), response: z.string() }),
            ...problems(401, 403, 404, 409, 413, 422, 429, 502),
          },
        },
      },
      async (request) => {
        const { tenant_id: named, message } = request.body;
        const access = await tenantAccess(request, services.tenants, {
          scope: 'chat',
          named: legacyNamedTenant(request, named),
        });
        // Only while auth is disabled does a first interaction create the tenant, as the original did.
        if (!access.tenant && request.principal.kind !== 'open') throw new AppError('TENANT_NOT_FOUND');
        const turn = await claimingTurns(services, request).runTurn({
          tenantId: access.tenantId,
          sessionId: LEGACY_SESSION_ID,
          text: message,
          requestId: request.id,
          config: access.config,
          actor: access.actor,
          limits: access.limits,
          createTenant: request.principal.kind === 'open',
          createSession: LEGACY_SESSION,
        });
        return { tenant_id: access.tenantId, response: messageText(turn.reply.content) };
      },
    );
  };
}
