import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decodeIdCursor } from '../../../core/conversations/cursor.ts';
import { AppError } from '../../../core/errors.ts';
import type { UsageGroup } from '../../../core/usage/usage-record.ts';
import type { AppServices } from '../../app-services.ts';
import { pageJson, pageQuerySchema, pageSchema } from '../../schemas/page.ts';
import { problems } from '../../schemas/problem.ts';
import {
  toUsageAggregateJson,
  toUsageRecordJson,
  usageAggregateSchema,
  usageRecordSchema,
} from '../../schemas/tenant.ts';
import type { TenantScope } from './tenant-scope.ts';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((value) => {
    const time = Date.parse(`${value}T00:00:00Z`);
    return !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
  }, 'must be a real calendar date');
const DAY_MS = 86_400_000;

function range(query: { from?: string | undefined; to?: string | undefined }) {
  const to = query.to ?? new Date().toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10);
  if (from > to) throw new AppError('VALIDATION_FAILED', 'query.from: must not be after to');
  return { from, to };
}

/** The usage ledger: aggregates by day and/or model, and a cursor over the raw records. */
export function usageRoutes(services: AppServices, scope: TenantScope): FastifyPluginAsyncZod {
  const tags = [scope.prefix === '/v1' ? 'usage' : 'admin'];
  return async (app) => {
    app.get(
      `${scope.prefix}/usage`,
      {
        schema: {
          tags,
          summary:
            'Token usage aggregated by day or month, model, agent, key and/or user (UTC days, inclusive; default the last 30 days)',
          params: scope.params,
          querystring: z.object({
            from: day.optional(),
            to: day.optional(),
            group_by: z
              .string()
              .regex(
                /^(day|month|model|agent|key|user)(,(day|month|model|agent|key|user)){0,5}$/,
                'must be day, month, model, agent, key or user, comma-separated',
              )
              .default('day')
              .describe(
                'Any of `day`, `month` (UTC `YYYY-MM`), `model`, `agent`, `key` (API key id), `user` (end user id), comma-separated (for example `month,agent`)',
              ),
          }),
          response: {
            200: z.object({ from: z.string(), to: z.string(), data: z.array(usageAggregateSchema) }),
            ...problems(401, 403, 404, 422),
          },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'history:read');
        const { from, to } = range(request.query);
        const groupBy = request.query.group_by.split(',') as UsageGroup[];
        const rows = await services.storage.aggregateUsage(tenantId, { from, to, groupBy });
        return { from, to, data: rows.map(toUsageAggregateJson) };
      },
    );

    app.get(
      `${scope.prefix}/usage/records`,
      {
        schema: {
          tags,
          summary: 'Raw usage records, newest first',
          params: scope.params,
          querystring: pageQuerySchema(100, 1000).extend({ from: day.optional(), to: day.optional() }),
          response: { 200: pageSchema(usageRecordSchema), ...problems(401, 403, 404, 422) },
        },
      },
      async (request) => {
        const { tenantId } = await scope.resolve(request, 'history:read');
        const { from, to } = range(request.query);
        const { limit, cursor } = request.query;
        const records = await services.storage.listUsage(tenantId, {
          limit: limit + 1,
          beforeId: cursor === undefined ? null : decodeIdCursor(cursor),
          from,
          to,
        });
        return pageJson(records, limit, (item) => item.id, toUsageRecordJson);
      },
    );
  };
}
