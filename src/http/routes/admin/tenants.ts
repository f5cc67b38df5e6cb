import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decodeIdCursor } from '../../../core/conversations/cursor.ts';
import { AppError } from '../../../core/errors.ts';
import type { ConfigService } from '../../../core/tenants/config-service.ts';
import { TENANT_ID_PATTERN } from '../../../core/tenants/tenant-id.ts';
import { requireAdmin } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { pageJson, pageQuerySchema, pageSchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import { auditEntrySchema, tenantSchema, toAuditJson, toTenantJson } from '../../schemas/tenant.ts';

const tenantParams = z.object({ tenant_id: z.string().regex(TENANT_ID_PATTERN, 'must be a valid tenant id') });
const tags = ['admin'];

/** `/v1/admin/tenants`: the operator's tenant lifecycle, audit log and export. */
export function adminTenantRoutes(services: AppServices, configs: ConfigService): FastifyPluginAsyncZod {
  const { admin, storage } = services;
  const audit = (tenantId: string, actor: string, action: string, requestId: string, details = {}) =>
    storage.appendAudit({ tenantId, actor, action, target: `tenant:${tenantId}`, requestId, details });

  async function setStatus(tenantId: string, status: 'active' | 'suspended') {
    const tenant = await admin.updateTenant(tenantId, { status });
    if (!tenant) throw new AppError('TENANT_NOT_FOUND');
    services.tenants.invalidate(tenantId);
    return tenant;
  }

  /** Best effort: the tenant is created or deleted either way; a failure is logged (ids only). */
  async function forgetLimitCounters(request: FastifyRequest, tenantId: string): Promise<void> {
    await services.admission.forgetTenant(tenantId).catch((error: unknown) => {
      request.log.warn({ err: error, tenant_id: tenantId }, 'could not delete the tenant limit counters');
    });
  }

  return async (app) => {
    app.post(
      '/v1/admin/tenants',
      {
        schema: {
          tags,
          summary: 'Create a tenant, optionally with its first config',
          body: z
            .object({
              id: z.string().regex(TENANT_ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
              name: z.string().min(1).max(200).optional(),
              config: z.record(z.string(), z.unknown()).optional(),
            })
            .strict(),
          response: { 201: tenantSchema, ...problems(401, 403, 409, 422) },
        },
      },
      async (request, reply) => {
        const actor = requireAdmin(request);
        const { id, name, config } = request.body;
        // Validate first: a bad config must not leave a half-created tenant behind.
        if (config) configs.validate(config);
        await admin.createTenant({ id, name: name ?? id });
        // After the create succeeded (a 409 must not reset a live tenant's use): counters a deleted
        // tenant with this id left behind (its purge failed, or the CLI deleted it) go now.
        await forgetLimitCounters(request, id);
        if (config) await configs.update(id, config, { actor, operator: true });
        await audit(id, actor, 'tenant.create', request.id, { name: name ?? id });
        const created = await storage.getTenant(id);
        if (!created) throw new AppError('TENANT_NOT_FOUND');
        return reply.code(201).send(toTenantJson(created));
      },
    );

    app.get(
      '/v1/admin/tenants',
      {
        schema: {
          tags,
          summary: 'List tenants by id',
          querystring: pageQuerySchema(50, 500),
          response: { 200: pageSchema(tenantSchema), ...problems(401, 403, 422) },
        },
      },
      async (request) => {
        requireAdmin(request);
        const { limit, cursor } = request.query;
        const tenants = await admin.listTenants({
          limit: limit + 1,
          afterId: cursor === undefined ? null : decodeIdCursor(cursor),
        });
        return pageJson(tenants, limit, (item) => item.id, toTenantJson);
      },
    );

    app.get(
      '/v1/admin/tenants/:tenant_id',
      {
        schema: {
          tags,
          summary: 'Get a tenant',
          params: tenantParams,
          response: { 200: tenantSchema, ...problems(401, 403, 404) },
        },
      },
      async (request) => {
        requireAdmin(request);
        const tenant = await storage.getTenant(request.params.tenant_id);
        if (!tenant) throw new AppError('TENANT_NOT_FOUND');
        return toTenantJson(tenant);
      },
    );

    app.patch(
      '/v1/admin/tenants/:tenant_id',
      {
        schema: {
          tags,
          summary: 'Rename a tenant',
          params: tenantParams,
          body: z.object({ name: z.string().min(1).max(200) }).strict(),
          response: { 200: tenantSchema, ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const actor = requireAdmin(request);
        const tenant = await admin.updateTenant(request.params.tenant_id, { name: request.body.name });
        if (!tenant) throw new AppError('TENANT_NOT_FOUND');
        services.tenants.invalidate(tenant.id);
        await audit(tenant.id, actor, 'tenant.update', request.id, { name: request.body.name });
        return toTenantJson(tenant);
      },
    );

    for (const [action, status] of [
      ['suspend', 'suspended'],
      ['resume', 'active'],
    ] as const) {
      app.post(
        `/v1/admin/tenants/:tenant_id/${action}`,
        {
          schema: {
            tags,
            summary: action === 'suspend' ? 'Suspend a tenant (its credentials get 403)' : 'Resume a suspended tenant',
            params: tenantParams,
            response: { 200: tenantSchema, ...problems(401, 403, 404) },
          },
        },
        async (request) => {
          const actor = requireAdmin(request);
          const tenant = await setStatus(request.params.tenant_id, status);
          await audit(tenant.id, actor, `tenant.${action}`, request.id);
          return toTenantJson(tenant);
        },
      );
    }

    app.delete(
      '/v1/admin/tenants/:tenant_id',
      {
        schema: {
          tags,
          summary: 'Delete a tenant and every row it owns (its data key too)',
          params: tenantParams,
          response: { 204: z.null(), ...problems(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const actor = requireAdmin(request);
        const tenantId = request.params.tenant_id;
        if (!(await admin.deleteTenant(tenantId))) throw new AppError('TENANT_NOT_FOUND');
        await services.turnEvents.purgeTenant(tenantId);
        await forgetLimitCounters(request, tenantId);
        services.tenants.invalidate(tenantId);
        services.credentialsChanged.tenant(tenantId);
        // Recorded at platform level: the tenant's own audit rows are gone with it.
        await audit('', actor, 'tenant.delete', request.id, { tenant_id: tenantId });
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/v1/admin/tenants/:tenant_id/audit',
      {
        schema: {
          tags,
          summary: 'The tenant audit log, newest first',
          params: tenantParams,
          querystring: pageQuerySchema(50, 500),
          response: { 200: pageSchema(auditEntrySchema), ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        requireAdmin(request);
        const tenantId = request.params.tenant_id;
        if (!(await storage.getTenant(tenantId))) throw new AppError('TENANT_NOT_FOUND');
        const { limit, cursor } = request.query;
        const entries = await storage.listAudit(tenantId, {
          limit: limit + 1,
          beforeId: cursor === undefined ? null : decodeIdCursor(cursor),
        });
        return pageJson(entries, limit, (item) => item.id, toAuditJson);
      },
    );

    app.get(
      '/v1/admin/tenants/:tenant_id/export',
      {
        schema: {
          tags,
          summary: 'Everything the tenant owns, as NDJSON ({"table", "row"} per line), streamed',
          params: tenantParams,
          response: { 200: z.string().describe('application/x-ndjson'), ...problems(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const actor = requireAdmin(request);
        const tenantId = request.params.tenant_id;
        if (!(await storage.getTenant(tenantId))) throw new AppError('TENANT_NOT_FOUND');
        await audit(tenantId, actor, 'tenant.export', request.id);
        const rows = storage.exportTenant(tenantId);
        async function* lines() {
          for await (const entry of rows) yield `${JSON.stringify(entry)}\n`;
        }
        // A stream is sent as is (the response schema documents it; nothing buffers the export).
        return reply.type('application/x-ndjson').send(Readable.from(lines()) as never);
      },
    );
  };
}
