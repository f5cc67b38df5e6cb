import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { messageText } from '../../../core/conversations/message.ts';
import { LEGACY_SESSION_ID } from '../../../core/conversations/session.ts';
import { TENANT_ID_PATTERN } from '../../../core/tenants/tenant-id.ts';
import type { AppServices } from '../../app-services.ts';
import { problems } from '../../schemas/problem.ts';

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
          body: z.object({
            tenant_id: z.string().regex(TENANT_ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
            message: z.string().max(options.messageMaxChars),
          }),
          response: {
            200: z.object({ tenant_id: z.string(), response: z.string() }),
            ...problems(413, 422, 502),
          },
        },
      },
      async (request) => {
        const { tenant_id: tenantId, message } = request.body;
        const turn = await services.runTurn({
          tenantId,
          sessionId: LEGACY_SESSION_ID,
          text: message,
          requestId: request.id,
          createTenant: true,
          createSession: LEGACY_SESSION,
        });
        return { tenant_id: tenantId, response: messageText(turn.reply.content) };
      },
    );
  };
}
