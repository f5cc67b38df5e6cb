import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Agent } from '../../../core/agent-catalog/agent.ts';
import { resolveModelName } from '../../../core/agent-catalog/model-name.ts';
import { type TenantAccess, tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { openAiErrors } from './openai-error.ts';

const modelSchema = z
  .object({
    id: z.string().describe('What to send as `model`: an agent id, or `provider/model`.'),
    object: z.literal('model'),
    created: z.number().int(),
    owned_by: z.string().describe('`agent` for your agents; the provider id for a plain model.'),
  })
  .meta({ id: 'OpenAIModel' });

type ModelJson = z.infer<typeof modelSchema>;

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Agents read per page for the list (a tenant has at most `maxAgents` of them). */
const PAGE = 100;

async function allAgents(services: AppServices, tenantId: string): Promise<Agent[]> {
  const agents: Agent[] = [];
  let afterId: string | null = null;
  for (;;) {
    const page: Agent[] = await services.storage.listAgents(tenantId, { limit: PAGE, afterId });
    agents.push(...page);
    if (page.length < PAGE) return agents;
    afterId = page.at(-1)?.id ?? null;
  }
}

function plainModels(services: AppServices, access: TenantAccess): ModelJson[] {
  const config = access.config.config;
  const offered = services.offeredModels?.(config) ?? [`${config.model.provider}:${config.model.id}`];
  const created = seconds(access.config.createdAt) || 0;
  return offered.map((entry) => {
    const split = entry.indexOf(':');
    return {
      id: `${entry.slice(0, split)}/${entry.slice(split + 1)}`,
      object: 'model',
      created,
      owned_by: entry.slice(0, split),
    };
  });
}

/** `GET /v1/models` and `GET /v1/models/{id}`: the caller's tenant's agents and the models it may call, in OpenAI's shape. */
export function modelRoutes(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/models',
      {
        schema: {
          tags: ['openai'],
          summary: 'List models (OpenAI-compatible): your agents, then the models your tenant may call',
          headers: z.looseObject({ 'tenant-id': z.string().optional() }),
          response: {
            200: z.object({ object: z.literal('list'), data: z.array(modelSchema) }),
            ...openAiErrors(401, 403, 429),
          },
        },
      },
      async (request) => {
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const agents = await allAgents(services, access.tenantId);
        const data: ModelJson[] = [
          { id: 'default', object: 'model', created: seconds(access.config.createdAt) || 0, owned_by: 'agent' },
          ...agents.map((agent) => ({
            id: agent.id,
            object: 'model' as const,
            created: seconds(agent.createdAt),
            owned_by: 'agent',
          })),
          ...plainModels(services, access),
        ];
        return { object: 'list' as const, data };
      },
    );

    app.get(
      '/v1/models/:model',
      {
        schema: {
          tags: ['openai'],
          summary: 'Retrieve a model (OpenAI-compatible): an agent (id or name) or `provider/model` (URL-encoded)',
          headers: z.looseObject({ 'tenant-id': z.string().optional() }),
          params: z.object({ model: z.string().min(1).max(256) }),
          response: { 200: modelSchema, ...openAiErrors(401, 403, 404, 429) },
        },
      },
      async (request) => {
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const target = await resolveModelName(
          { agents: services.storage, ...(services.checkModel ? { checkModel: services.checkModel } : {}) },
          access.tenantId,
          access.config,
          request.params.model,
        );
        if (target.kind === 'model') {
          return {
            id: target.id,
            object: 'model' as const,
            created: seconds(access.config.createdAt) || 0,
            owned_by: target.provider,
          };
        }
        const agent = target.agent ? await services.storage.getAgent(access.tenantId, target.id) : null;
        const created = agent ? seconds(agent.createdAt) : seconds(access.config.createdAt) || 0;
        return { id: target.id, object: 'model' as const, created, owned_by: 'agent' };
      },
    );
  };
}
