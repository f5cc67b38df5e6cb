import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Scope } from '../../../core/auth/principal.ts';
import { AppError } from '../../../core/errors.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { agentIdSchema } from '../../schemas/agent.ts';
import { messageSchema, toMessageJson } from '../../schemas/message.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import { createSessionBodySchema, sessionIdSchema, sessionSchema, toSessionJson } from '../../schemas/session.ts';

const tenantHeader = z.looseObject({
  'tenant-id': z.string().optional().describe('The tenant (until API keys arrive)'),
});
const sessionParams = z.object({ id: sessionIdSchema });

/** Session CRUD and message history under `/v1/sessions`. */
export function sessionsRoutes(services: AppServices): FastifyPluginAsyncZod {
  const { conversations } = services;
  /**
   * The request's tenant. A credential (a platform JWT, an admin) may name a tenant that does not
   * exist, or no longer does: that answers 404 TENANT_NOT_FOUND here as on every other route, never
   * an empty list. With auth disabled a tenant comes into being with its first session, as before.
   */
  const tenant = async (request: FastifyRequest, scope: Scope) => {
    const access = await tenantAccess(request, services.tenants, { scope, named: namedTenant(request) });
    if (!access.tenant && request.principal.kind !== 'open') throw new AppError('TENANT_NOT_FOUND');
    return access.tenantId;
  };
  return async (app) => {
    app.post(
      '/v1/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Create a session',
          headers: tenantHeader,
          body: createSessionBodySchema.nullish(),
          response: { 201: sessionSchema, ...problems(400, 401, 403, 429, 422) },
        },
      },
      async (request, reply) => {
        const body = request.body ?? {};
        const tenantId = await tenant(request, 'chat');
        // A JWT names the end user (`sub`); a body user_id may only repeat it.
        const principal = request.principal;
        const tokenUser = principal.kind === 'tenant' ? principal.userId : null;
        if (tokenUser && body.user_id !== undefined && body.user_id !== tokenUser) {
          throw new AppError('VALIDATION_FAILED', "body.user_id: must equal the token's subject");
        }
        const session = await conversations.createSession(
          tenantId,
          { title: body.title, userId: tokenUser ?? body.user_id, metadata: body.metadata, agentId: body.agent_id },
          { createTenant: request.principal.kind === 'open' },
        );
        return reply.code(201).send(toSessionJson(session));
      },
    );

    app.get(
      '/v1/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: 'List sessions, newest first',
          headers: tenantHeader,
          querystring: pageQuerySchema(20, 100),
          response: { 200: pageSchema(sessionSchema), ...problems(400, 401, 403, 429, 422) },
        },
      },
      async (request) => {
        const page = await conversations.listSessions(await tenant(request, 'history:read'), request.query);
        return { data: page.data.map(toSessionJson), has_more: page.hasMore, next_cursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Get a session',
          headers: tenantHeader,
          params: sessionParams,
          response: { 200: sessionSchema, ...problems(400, 401, 403, 429, 404, 422) },
        },
      },
      async (request) =>
        toSessionJson(await conversations.getSession(await tenant(request, 'history:read'), request.params.id)),
    );

    app.patch(
      '/v1/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Hand a session over to another agent',
          description:
            'The next turn runs the new agent (its current version); the history stays. An agent of another tenant answers 404 AGENT_NOT_FOUND like a missing one.',
          headers: tenantHeader,
          params: sessionParams,
          body: z.object({ agent_id: agentIdSchema }).strict(),
          response: { 200: sessionSchema, ...problems(400, 401, 403, 429, 404, 422) },
        },
      },
      async (request) =>
        toSessionJson(
          await conversations.setSessionAgent(await tenant(request, 'chat'), request.params.id, request.body.agent_id),
        ),
    );

    app.delete(
      '/v1/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Delete a session and all its messages',
          headers: tenantHeader,
          params: sessionParams,
          response: { 204: z.null().describe('Deleted'), ...problems(400, 401, 403, 429, 404, 422) },
        },
      },
      async (request, reply) => {
        await conversations.deleteSession(await tenant(request, 'chat'), request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/v1/sessions/:id/messages',
      {
        schema: {
          tags: ['sessions'],
          summary: 'List the messages of a session',
          headers: tenantHeader,
          params: sessionParams,
          querystring: pageQuerySchema(50, 500).extend({ order: z.enum(['asc', 'desc']).default('asc') }),
          response: { 200: pageSchema(messageSchema), ...problems(400, 401, 403, 429, 404, 422) },
        },
      },
      async (request) => {
        const page = await conversations.listMessages(
          await tenant(request, 'history:read'),
          request.params.id,
          request.query,
        );
        return { data: page.data.map(toMessageJson), has_more: page.hasMore, next_cursor: page.nextCursor };
      },
    );
  };
}
