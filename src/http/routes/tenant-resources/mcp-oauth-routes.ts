import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { USER_ID_PATTERN } from '../../../core/auth/user-id.ts';
import { AppError } from '../../../core/errors.ts';
import type { McpOAuthAccess } from '../../../core/mcp/mcp-oauth-access.ts';
import type { AppServices } from '../../app-services.ts';
import { recordAudit } from '../../record-audit.ts';
import { problems } from '../../schemas/problem.ts';
import type { TenantScope } from './tenant-scope.ts';

const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const userIdSchema = z.string().regex(USER_ID_PATTERN, 'must be a user id');
const statusSchema = z.object({ authorized: z.boolean(), expires_at: z.string().nullable() });

/**
 * Whose grant a request is about. A JWT that names an end user (`sub`) acts for that user only,
 * with the `chat` scope: an end user authorizes their own per-user grant. Anyone else needs
 * `config:write` (a tenant admin) and may name the user.
 */
async function resolveCaller(
  scope: TenantScope,
  request: Parameters<TenantScope['resolve']>[0],
  userId: string | undefined,
) {
  const principal = request.principal;
  const tokenUser = principal.kind === 'tenant' ? principal.userId : null;
  if (tokenUser) {
    // The tenant first (a foreign Tenant-ID answers TENANT_MISMATCH whatever the body), then the user.
    const admin = principal.kind === 'tenant' && principal.scopes.has('config:write');
    const resolved = await scope.resolve(request, admin ? 'config:write' : 'chat');
    if (userId !== undefined && userId !== tokenUser) {
      throw new AppError('VALIDATION_FAILED', "user_id: must equal the token's subject");
    }
    return { ...resolved, ref: { userId: tokenUser, admin } };
  }
  const resolved = await scope.resolve(request, 'config:write');
  return { ...resolved, ref: { userId: userId ?? null, admin: true } };
}

/**
 * OAuth of a tenant MCP server (docs/tools-oauth.md): start the authorization-code grant, see
 * whether a grant is stored, delete it. Tokens are never returned.
 */
export function mcpOAuthRoutes(
  services: AppServices,
  oauth: McpOAuthAccess,
  scope: TenantScope,
): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'mcp-servers' : 'admin'];
  const params = scope.params.extend({ id: z.string().regex(SERVER_ID, 'must be an MCP server id') });
  const userQuery = z.object({ user_id: userIdSchema.optional() }).strict();
  return async (app) => {
    app.post(
      `${scope.prefix}/mcp-servers/:id/oauth/authorize`,
      {
        schema: {
          tags,
          summary: 'Start the OAuth authorization-code grant (PKCE) of an MCP server: returns the URL to open',
          params,
          body: z.object({ user_id: userIdSchema.optional() }).strict().nullish(),
          response: {
            200: z.object({ authorization_url: z.string(), expires_at: z.string() }),
            ...problems(400, 401, 403, 404, 409, 422, 502, 503),
          },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const caller = await resolveCaller(scope, request, request.body?.user_id);
        const started = await oauth.authorize(caller.tenantId, id, caller.ref);
        await recordAudit(services, request, {
          tenantId: caller.tenantId,
          actor: caller.actor,
          action: 'mcp_server.oauth.authorize',
          target: `mcp_server:${id}`,
          details: { user_id: caller.ref.userId },
        });
        return { authorization_url: started.authorizationUrl, expires_at: started.expiresAt };
      },
    );

    app.get(
      `${scope.prefix}/mcp-servers/:id/oauth`,
      {
        schema: {
          tags,
          summary:
            'Whether an OAuth grant is stored for the MCP server (tenant-wide, or for one user); never the token',
          params,
          querystring: userQuery,
          response: { 200: statusSchema, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const caller = await resolveCaller(scope, request, request.query.user_id);
        const status = await oauth.status(caller.tenantId, id, caller.ref);
        return { authorized: status.authorized, expires_at: status.expiresAt };
      },
    );

    app.delete(
      `${scope.prefix}/mcp-servers/:id/oauth`,
      {
        schema: {
          tags,
          summary: 'Delete the stored OAuth grant of the MCP server (tenant-wide, or one user’s); idempotent',
          params,
          querystring: userQuery,
          response: { 204: z.null(), ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const caller = await resolveCaller(scope, request, request.query.user_id);
        await oauth.revoke(caller.tenantId, id, caller.ref);
        await recordAudit(services, request, {
          tenantId: caller.tenantId,
          actor: caller.actor,
          action: 'mcp_server.oauth.revoke',
          target: `mcp_server:${id}`,
          details: { user_id: caller.ref.userId },
        });
        return reply.code(204).send(null);
      },
    );
  };
}

/**
 * `GET /v1/mcp-servers/oauth/callback`: where the authorization server sends the browser back.
 * It carries no Enclave credential, so it is public: the single-use `state` (256 random bits,
 * stored hashed, bound to tenant, server and user, valid 10 minutes) is what authorizes it.
 */
export function mcpOAuthCallbackRoute(services: AppServices, oauth: McpOAuthAccess): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/mcp-servers/oauth/callback',
      {
        config: { public: true },
        schema: {
          tags: ['mcp-servers'],
          summary:
            'OAuth redirect URI of MCP servers: redeems the state and stores the grant (no credential: the state is one)',
          security: [],
          querystring: z.object({
            state: z.string().min(1).max(512),
            code: z.string().min(1).max(4096).optional(),
            iss: z.string().max(2048).optional(),
            error: z.string().max(256).optional(),
            error_description: z.string().max(2048).optional(),
          }),
          response: {
            200: z.object({ status: z.literal('authorized'), server_id: z.string(), user_id: z.string().nullable() }),
            ...problems(400, 422, 429, 502),
          },
        },
      },
      async (request) => {
        const { state, code, iss, error } = request.query;
        if (error !== undefined || code === undefined) {
          throw new AppError('MCP_OAUTH_DENIED', `The authorization server answered ${error ?? 'without a code'}`);
        }
        const done = await oauth.complete({ state, code, iss });
        await recordAudit(services, request, {
          tenantId: done.tenantId,
          actor: done.userId ? `user:${done.userId}` : 'oauth-callback',
          action: 'mcp_server.oauth.authorized',
          target: `mcp_server:${done.serverId}`,
          details: { user_id: done.userId },
        });
        return { status: 'authorized' as const, server_id: done.serverId, user_id: done.userId };
      },
    );
  };
}
