import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decodeSeqCursor } from '../../../core/conversations/cursor.ts';
import type { ConfigService } from '../../../core/tenants/config-service.ts';
import type { AppServices } from '../../app-services.ts';
import { recordAudit } from '../../record-audit.ts';
import { pageJson, pageQuerySchema, pageSchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import { configVersionSchema, toConfigJson } from '../../schemas/tenant.ts';
import type { TenantScope } from './tenant-scope.ts';

/** The tenant's versioned agent config: read, patch (a new version), list versions, roll back. */
export function configRoutes(services: AppServices, configs: ConfigService, scope: TenantScope): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'config' : 'admin'];
  return async (app) => {
    app.get(
      `${scope.prefix}/config`,
      {
        schema: {
          tags,
          summary: 'The current agent config',
          params: scope.params,
          response: { 200: configVersionSchema, ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        return toConfigJson(await configs.current(tenantId));
      },
    );

    app.patch(
      `${scope.prefix}/config`,
      {
        schema: {
          tags,
          summary: 'Change the agent config (creates a new version)',
          description:
            'Fields: systemPrompt, model {provider, id}, language, tools, contextBudgetTokens; limits and jwt for operators only.',
          params: scope.params,
          body: z.record(z.string(), z.unknown()),
          response: { 200: configVersionSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId, actor, operator } = await scope.resolve(request, 'config:write');
        const saved = await configs.update(tenantId, request.body, { actor, operator });
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'config.update',
          target: `config:${saved.version}`,
          details: { fields: Object.keys(request.body) },
        });
        return toConfigJson(saved);
      },
    );

    app.get(
      `${scope.prefix}/config/versions`,
      {
        schema: {
          tags,
          summary: 'Config versions, newest first',
          params: scope.params,
          querystring: pageQuerySchema(20, 100),
          response: { 200: pageSchema(configVersionSchema), ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        const { limit, cursor } = request.query;
        const versions = await configs.versions(tenantId, {
          limit: limit + 1,
          beforeVersion: cursor === undefined ? null : decodeSeqCursor(cursor),
        });
        return pageJson(versions, limit, (item) => item.version, toConfigJson);
      },
    );

    app.post(
      `${scope.prefix}/config/rollback`,
      {
        schema: {
          tags,
          summary: 'Make an earlier version current again (as a new version)',
          params: scope.params,
          // Versions start at 1; the default config a tenant starts with (version 0) is not one.
          body: z.object({ version: z.number().int().min(1) }).strict(),
          response: { 200: configVersionSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId, actor, operator } = await scope.resolve(request, 'config:write');
        const saved = await configs.rollback(tenantId, request.body.version, { actor, operator });
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'config.rollback',
          target: `config:${saved.version}`,
          details: { from_version: request.body.version },
        });
        return toConfigJson(saved);
      },
    );
  };
}
