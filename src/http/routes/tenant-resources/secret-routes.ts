import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import { SECRET_NAME_PATTERN } from '../../../core/secrets/secret-service.ts';
import { JWT_SECRET_PREFIX } from '../../../core/tenants/tenant-config.ts';
import type { AppServices } from '../../app-services.ts';
import { recordAudit } from '../../record-audit.ts';
import { problems } from '../../schemas/problem.ts';
import type { TenantScope } from './tenant-scope.ts';

/**
 * JWT signing secrets (`jwt.*`) are the operator's, like the JWT trust that names them: a tenant
 * that could set its own signing secret could mint itself tokens with any scope.
 */
function assertMayWrite(name: string, operator: boolean): void {
  if (!operator && name.startsWith(JWT_SECRET_PREFIX)) {
    throw new AppError('INSUFFICIENT_SCOPE', `Only an operator may change ${JWT_SECRET_PREFIX}* secrets`);
  }
}

/** Write-only tenant secrets (provider keys, tool credentials): set, list names, delete. Values never come back. */
export function secretRoutes(services: AppServices, scope: TenantScope): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'secrets' : 'admin'];
  const params = scope.params.extend({
    name: z.string().regex(SECRET_NAME_PATTERN, 'must match ^[a-z][a-z0-9_.-]{0,63}$'),
  });
  return async (app) => {
    app.put(
      `${scope.prefix}/secrets/:name`,
      {
        schema: {
          tags,
          summary: 'Store a secret, encrypted at rest (AES-256-GCM under the tenant data key)',
          params,
          body: z.object({ value: z.string().min(1).max(16_384) }).strict(),
          response: { 204: z.null(), ...problems(401, 403, 404, 422, 503) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor, operator } = await scope.resolve(request, 'config:write');
        const { name } = request.params as { name: string };
        assertMayWrite(name, operator);
        await services.secrets.put(tenantId, name, request.body.value);
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'secret.put',
          target: `secret:${name}`,
          details: {},
        });
        return reply.code(204).send(null);
      },
    );

    app.get(
      `${scope.prefix}/secrets`,
      {
        schema: {
          tags,
          summary: 'Names of the stored secrets (never their values)',
          params: scope.params,
          response: { 200: z.object({ data: z.array(z.object({ name: z.string() })) }), ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'config:write');
        return { data: (await services.secrets.list(tenantId)).map((name) => ({ name })) };
      },
    );

    app.delete(
      `${scope.prefix}/secrets/:name`,
      {
        schema: {
          tags,
          summary: 'Delete a secret',
          params,
          response: { 204: z.null(), ...problems(401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const { tenantId, actor, operator } = await scope.resolve(request, 'config:write');
        const { name } = request.params as { name: string };
        assertMayWrite(name, operator);
        if (!(await services.secrets.delete(tenantId, name))) throw new AppError('SECRET_NOT_FOUND');
        await recordAudit(services, request, {
          tenantId,
          actor,
          action: 'secret.delete',
          target: `secret:${name}`,
          details: {},
        });
        return reply.code(204).send(null);
      },
    );
  };
}
