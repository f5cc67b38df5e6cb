import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { USER_ID_PATTERN } from '../../../core/auth/user-id.ts';
import { AppError } from '../../../core/errors.ts';
import type { McpServerService } from '../../../core/mcp/mcp-server-service.ts';
import type { AppServices } from '../../app-services.ts';
import { recordAudit } from '../../record-audit.ts';
import {
  fromMcpServerBody,
  mcpServerIdSchema,
  mcpServerPatchBodySchema,
  mcpServerSchema,
  mcpToolSchema,
  newMcpServerBodySchema,
  toMcpServerJson,
  toMcpToolJson,
} from '../../schemas/mcp-server.ts';
import { problems } from '../../schemas/problem.ts';
import type { TenantScope } from './tenant-scope.ts';

const credentialStatusSchema = z
  .object({ object: z.literal('mcp_user_credential'), server_id: z.string(), user_id: z.string(), set: z.boolean() })
  .meta({ id: 'McpUserCredential' });

/**
 * Who may touch `userId`'s credential: a JWT naming an end user (`sub`) only its own, with `chat`;
 * any other caller needs `config:write` (a tenant admin) and may name any user of the tenant.
 */
async function resolveCredentialCaller(
  scope: TenantScope,
  request: Parameters<TenantScope['resolve']>[0],
  userId: string,
) {
  const principal = request.principal;
  const tokenUser = principal.kind === 'tenant' ? principal.userId : null;
  if (tokenUser && !(principal.kind === 'tenant' && principal.scopes.has('config:write'))) {
    const resolved = await scope.resolve(request, 'chat');
    // Another user's credential answers exactly as a missing server: nothing to learn from it.
    if (userId !== tokenUser) throw new AppError('MCP_SERVER_NOT_FOUND');
    return resolved;
  }
  return scope.resolve(request, 'config:write');
}

/**
 * Tenant MCP servers (docs/tools.md): create, list, get, update, delete, the server's tools live,
 * and per-end-user credentials (write-only: values never come back).
 */
export function mcpServerRoutes(
  services: AppServices,
  servers: McpServerService,
  scope: TenantScope,
): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'mcp-servers' : 'admin'];
  const params = scope.params.extend({ id: mcpServerIdSchema });
  const userParams = params.extend({ user_id: z.string().regex(USER_ID_PATTERN, 'must be a user id') });
  const base = `${scope.prefix}/mcp-servers`;
  return async (app) => {
    app.post(
      base,
      {
        schema: {
          tags,
          summary: 'Register an MCP server whose tools agents may use',
          params: scope.params,
          body: newMcpServerBodySchema,
          response: { 201: mcpServerSchema, ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const server = await servers.create(tenantId, fromMcpServerBody(request.body));
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'mcp_server.create',
          target: `mcp_server:${server.id}`,
          details: { name: server.name, url: server.url },
        });
        return reply.code(201).send(toMcpServerJson(server));
      },
    );

    app.get(
      base,
      {
        schema: {
          tags,
          summary: 'The tenant’s MCP servers (at most 100), by name',
          params: scope.params,
          response: { 200: z.object({ data: z.array(mcpServerSchema) }), ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        return { data: (await servers.list(tenantId)).map(toMcpServerJson) };
      },
    );

    app.get(
      `${base}/:id`,
      {
        schema: {
          tags,
          summary: 'One MCP server',
          params,
          response: { 200: mcpServerSchema, ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        return toMcpServerJson(await servers.get(tenantId, (request.params as { id: string }).id));
      },
    );

    app.patch(
      `${base}/:id`,
      {
        schema: {
          tags,
          summary: 'Change an MCP server (each given field replaces the current one; auth whole)',
          params,
          body: mcpServerPatchBodySchema,
          response: { 200: mcpServerSchema, ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const { id } = request.params as { id: string };
        const server = await servers.update(tenantId, id, fromMcpServerBody(request.body));
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'mcp_server.update',
          target: `mcp_server:${id}`,
          details: { fields: Object.keys(request.body) },
        });
        return toMcpServerJson(server);
      },
    );

    app.delete(
      `${base}/:id`,
      {
        schema: {
          tags,
          summary: 'Delete an MCP server and every user credential for it',
          params,
          response: { 204: z.null(), ...problems(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const { id } = request.params as { id: string };
        await servers.delete(tenantId, id);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'mcp_server.delete',
          target: `mcp_server:${id}`,
          details: {},
        });
        return reply.code(204).send(null);
      },
    );

    app.get(
      `${base}/:id/tools`,
      {
        schema: {
          tags,
          summary:
            'The server’s tools, listed live (cached for a short while); per-user servers list as the caller’s user',
          params,
          response: { 200: z.object({ data: z.array(mcpToolSchema) }), ...problems(401, 403, 404, 409, 422, 502, 504) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'chat');
        const server = await servers.get(tenantId, (request.params as { id: string }).id);
        const userId = request.principal.kind === 'tenant' ? request.principal.userId : null;
        if (!services.listMcpTools) throw new AppError('MCP_SERVER_UNAVAILABLE');
        const tools = await services.listMcpTools(tenantId, server, userId);
        return { data: tools.map((tool) => toMcpToolJson(server, tool)) };
      },
    );

    app.put(
      `${base}/:id/credentials/:user_id`,
      {
        schema: {
          tags,
          summary: 'Store an end user’s own credential for a per-user server, encrypted (never returned)',
          params: userParams,
          body: z.object({ credential: z.string().min(1).max(8_000) }).strict(),
          response: { 204: z.null(), ...problems(401, 403, 404, 422, 503) },
        },
      },
      async (request, reply) => {
        const { id, user_id: userId } = request.params as { id: string; user_id: string };
        const { tenantId, actor } = await resolveCredentialCaller(scope, request, userId);
        await servers.putUserCredential(tenantId, id, userId, request.body.credential);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'mcp_server.credential.put',
          target: `mcp_server:${id}`,
          details: { user_id: userId },
        });
        return reply.code(204).send(null);
      },
    );

    app.get(
      `${base}/:id/credentials/:user_id`,
      {
        schema: {
          tags,
          summary: 'Whether an end user has a credential for the server (never its value)',
          params: userParams,
          response: { 200: credentialStatusSchema, ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const { id, user_id: userId } = request.params as { id: string; user_id: string };
        const { tenantId } = await resolveCredentialCaller(scope, request, userId);
        const set = await servers.hasUserCredential(tenantId, id, userId);
        return { object: 'mcp_user_credential' as const, server_id: id, user_id: userId, set };
      },
    );

    app.delete(
      `${base}/:id/credentials/:user_id`,
      {
        schema: {
          tags,
          summary: 'Delete an end user’s credential for the server (idempotent)',
          params: userParams,
          response: { 204: z.null(), ...problems(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id, user_id: userId } = request.params as { id: string; user_id: string };
        const { tenantId, actor } = await resolveCredentialCaller(scope, request, userId);
        if (await servers.deleteUserCredential(tenantId, id, userId)) {
          await recordAudit(services, request, {
            tenantId,
            actor,
            action: 'mcp_server.credential.delete',
            target: `mcp_server:${id}`,
            details: { user_id: userId },
          });
        }
        return reply.code(204).send(null);
      },
    );
  };
}
