import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentService } from '../../../core/agent-catalog/agent-service.ts';
import { decodeIdCursor, decodeSeqCursor } from '../../../core/conversations/cursor.ts';
import { camelCaseKeys } from '../../../core/tenants/config-service.ts';
import type { AppServices } from '../../app-services.ts';
import { recordAudit } from '../../record-audit.ts';
import {
  agentConfigPatchSchema,
  agentIdSchema,
  agentLabelsSchema,
  agentSchema,
  agentVersionSchema,
  toAgentJson,
  toAgentVersionJson,
} from '../../schemas/agent.ts';
import { pageJson, pageQuerySchema, pageSchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import type { TenantScope } from '../tenant-resources/tenant-scope.ts';

const versionNumber = z
  .string()
  .regex(/^\d{1,9}$/, 'must be a version number')
  .transform(Number);

/**
 * `/v1/agents` (and `/v1/admin/tenants/{tenant_id}/agents`): a tenant's agents, each with
 * immutable config versions. Bodies and answers are snake_case.
 */
export function agentRoutes(services: AppServices, agents: AgentService, scope: TenantScope): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'agents' : 'admin'];
  const base = `${scope.prefix}/agents`;
  const agentParams = scope.params.extend({ agent_id: agentIdSchema });
  // The scope's own params (an admin path's tenant) are typed loosely; these two are validated above.
  const params = (request: { params: unknown }) => request.params as { agent_id: string; version: number };
  const config = (patch: z.infer<typeof agentConfigPatchSchema> | undefined) =>
    patch === undefined ? {} : { config: camelCaseKeys(patch) };
  return async (app) => {
    app.post(
      base,
      {
        schema: {
          tags,
          summary: 'Create an agent (its version 1)',
          description:
            "Ids match `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`; without `id` one is generated (`agt_…`). `default` is every tenant's default agent and is always taken. Past the operator's cap (100 agents by default) the answer is 409 AGENT_LIMIT_REACHED.",
          params: scope.params,
          body: z
            .object({ id: agentIdSchema.optional(), ...agentLabelsSchema, config: agentConfigPatchSchema.optional() })
            .strict(),
          response: { 201: agentSchema, ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const { config: patch, ...labels } = request.body;
        const agent = await agents.create(tenantId, { ...labels, ...config(patch) }, actor);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'agent.create',
          target: `agent:${agent.id}:${agent.version}`,
          details: {},
        });
        return reply.code(201).send(toAgentJson(agent));
      },
    );

    app.get(
      base,
      {
        schema: {
          tags,
          summary: 'List agents by id (the default agent included)',
          params: scope.params,
          querystring: pageQuerySchema(20, 100),
          response: { 200: pageSchema(agentSchema), ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        const { limit, cursor } = request.query;
        const list = await agents.list(tenantId, {
          limit: limit + 1,
          afterId: cursor === undefined ? null : decodeIdCursor(cursor),
        });
        return pageJson(list, limit, (agent) => agent.id, toAgentJson);
      },
    );

    app.get(
      `${base}/:agent_id`,
      {
        schema: {
          tags,
          summary: 'Get an agent and its current config',
          params: agentParams,
          response: { 200: agentSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        return toAgentJson(await agents.get(tenantId, params(request).agent_id));
      },
    );

    app.patch(
      `${base}/:agent_id`,
      {
        schema: {
          tags,
          summary: 'Change an agent (a config change stores a new version)',
          description:
            'Name, description and metadata are labels and are not versioned. Each `config` field given replaces the current one; the result is stored as the next version.',
          params: agentParams,
          body: z.object({ ...agentLabelsSchema, config: agentConfigPatchSchema.optional() }).strict(),
          response: { 200: agentSchema, ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const { config: patch, ...labels } = request.body;
        const agent = await agents.update(tenantId, params(request).agent_id, { ...labels, ...config(patch) }, actor);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'agent.update',
          target: `agent:${agent.id}:${agent.version}`,
          details: { fields: [...Object.keys(labels), ...Object.keys(patch ?? {}).map((key) => `config.${key}`)] },
        });
        return toAgentJson(agent);
      },
    );

    app.delete(
      `${base}/:agent_id`,
      {
        schema: {
          tags,
          summary: 'Delete an agent and its versions',
          description:
            'Refused with 409 AGENT_HAS_SESSIONS while sessions use the agent, unless `?cascade=true`, which deletes those sessions and their messages too. The default agent cannot be deleted.',
          params: agentParams,
          querystring: z.object({ cascade: z.enum(['true', 'false']).default('false') }),
          response: { 204: z.null().describe('Deleted'), ...problems(401, 403, 404, 409, 422) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const cascade = request.query.cascade === 'true';
        const { turnIds } = await agents.remove(tenantId, params(request).agent_id, { cascade });
        // After the rows, as for a deleted session: this drops the deleted turns' stream content.
        if (turnIds.length > 0) await services.turnEvents.purge(tenantId, turnIds);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'agent.delete',
          target: `agent:${params(request).agent_id}`,
          details: { cascade, turns: turnIds.length },
        });
        return reply.code(204).send(null);
      },
    );

    app.get(
      `${base}/:agent_id/versions`,
      {
        schema: {
          tags,
          summary: "An agent's config versions, newest first",
          params: agentParams,
          querystring: pageQuerySchema(20, 100),
          response: { 200: pageSchema(agentVersionSchema), ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        const { limit, cursor } = request.query;
        const versions = await agents.versions(tenantId, params(request).agent_id, {
          limit: limit + 1,
          beforeVersion: cursor === undefined ? null : decodeSeqCursor(cursor),
        });
        return pageJson(versions, limit, (item) => item.version, toAgentVersionJson);
      },
    );

    app.get(
      `${base}/:agent_id/versions/:version`,
      {
        schema: {
          tags,
          summary: 'One config version of an agent',
          params: agentParams.extend({ version: versionNumber }),
          response: { 200: agentVersionSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        const { agent_id: agentId, version } = params(request);
        return toAgentVersionJson(await agents.version(tenantId, agentId, version));
      },
    );

    app.post(
      `${base}/:agent_id/versions/:version/restore`,
      {
        schema: {
          tags,
          summary: 'Make an earlier version current again, as a new version',
          params: agentParams.extend({ version: versionNumber }),
          response: { 200: agentSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId, actor } = await scope.resolve(request, 'config:write');
        const { agent_id: agentId, version } = params(request);
        const agent = await agents.restore(tenantId, agentId, version, actor);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'agent.restore',
          target: `agent:${agent.id}:${agent.version}`,
          details: { from_version: version },
        });
        return toAgentJson(agent);
      },
    );
  };
}
