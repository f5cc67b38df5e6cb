import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCOPES } from '../../../core/auth/principal.ts';
import { decodeIdCursor } from '../../../core/conversations/cursor.ts';
import { AppError } from '../../../core/errors.ts';
import { limitSettingsSchema, tighterLimits } from '../../../core/tenants/tenant-config.ts';
import type { AppServices } from '../../app-services.ts';
import { recordAudit } from '../../record-audit.ts';
import { pageJson, pageQuerySchema, pageSchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import { apiKeySchema, toApiKeyJson } from '../../schemas/tenant.ts';
import type { TenantScope } from './tenant-scope.ts';

const keyParams = (scope: TenantScope) => scope.params.extend({ key_id: z.string().regex(/^key_[0-9A-Z]{1,40}$/) });

/** A tenant's API keys: create (the secret is shown once), list, revoke. */
export function keyRoutes(services: AppServices, scope: TenantScope): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'keys' : 'admin'];
  return async (app) => {
    app.post(
      `${scope.prefix}/keys`,
      {
        schema: {
          tags,
          summary: 'Create an API key; the key itself is in this response only',
          params: scope.params,
          body: z
            .object({
              name: z.string().min(1).max(100),
              scopes: z
                .array(z.enum(SCOPES))
                .min(1)
                .default([...SCOPES]),
              expires_at: z.iso.datetime({ offset: true }).nullable().default(null),
              limits: limitSettingsSchema.nullable().default(null),
            })
            .strict(),
          response: { 201: apiKeySchema.extend({ key: z.string() }), ...problems(401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor, operator } = await scope.resolve(request, 'keys:manage');
        const { name, scopes } = request.body;
        let { expires_at: expiresAt, limits } = request.body;
        const principal = request.principal;
        // A key can only hand out scopes it holds itself.
        if (!operator && principal.kind === 'tenant') {
          const missing = scopes.filter((scope) => !principal.scopes.has(scope));
          if (missing.length > 0)
            throw new AppError('INSUFFICIENT_SCOPE', `Cannot grant scopes you lack: ${missing.join(', ')}`);
        }
        if (expiresAt && Date.parse(expiresAt) <= Date.now()) {
          throw new AppError('VALIDATION_FAILED', 'body.expires_at: must be in the future');
        }
        // A key never mints a key that outlives it or escapes its limits.
        if (!operator && principal.kind === 'tenant' && principal.keyId) {
          const parent = await services.storage.getApiKey(tenantId, principal.keyId);
          if (parent?.expiresAt && (!expiresAt || Date.parse(expiresAt) > Date.parse(parent.expiresAt))) {
            expiresAt = parent.expiresAt;
          }
          if (parent?.limits) limits = tighterLimits(parent.limits, limits);
        }
        const material = services.generateApiKey();
        const record = await services.storage.createApiKey(tenantId, {
          id: services.newId('key'),
          name,
          prefix: material.prefix,
          hash: material.hash,
          scopes: [...new Set(scopes)],
          limits,
          expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null,
        });
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'key.create',
          target: record.id,
          details: { name, scopes: record.scopes },
        });
        return reply.code(201).send({ ...toApiKeyJson(record), key: material.key });
      },
    );

    app.get(
      `${scope.prefix}/keys`,
      {
        schema: {
          tags,
          summary: 'List API keys (never the secrets)',
          params: scope.params,
          querystring: pageQuerySchema(50, 100),
          response: { 200: pageSchema(apiKeySchema), ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'keys:manage');
        const { limit, cursor } = request.query;
        const keys = await services.storage.listApiKeys(tenantId, {
          limit: limit + 1,
          afterId: cursor === undefined ? null : decodeIdCursor(cursor),
        });
        return pageJson(keys, limit, (item) => item.id, toApiKeyJson);
      },
    );

    app.delete(
      `${scope.prefix}/keys/:key_id`,
      {
        schema: {
          tags,
          summary: 'Revoke an API key',
          params: keyParams(scope),
          response: { 204: z.null(), ...problems(401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor } = await scope.resolve(request, 'keys:manage');
        const keyId = (request.params as { key_id: string }).key_id;
        if (!(await services.storage.revokeApiKey(tenantId, keyId))) throw new AppError('KEY_NOT_FOUND');
        services.credentialsChanged.key(keyId);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'key.revoke',
          target: keyId,
          details: {},
        });
        return reply.code(204).send(null);
      },
    );
  };
}
