import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TenantUsageRow } from '../../../core/ports.ts';
import { requireAdmin } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { problems } from '../../schemas/problem.ts';
import { usageDaySchema, usageRange } from '../tenant-resources/usage-routes.ts';

const GROUPS = ['tenant', 'day', 'month', 'model'] as const;
type Group = (typeof GROUPS)[number];

const rowSchema = z.object({
  tenant_id: z.string().nullable().optional().describe('Present when grouped by tenant'),
  day: z.string().nullable().optional(),
  month: z.string().nullable().optional(),
  model: z.string().nullable().optional(),
  turns: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  tool_calls: z.number().int(),
});
type Row = z.infer<typeof rowSchema>;

/** Sums the per-tenant, per-day, per-model rows into the requested groups, in group order. */
export function groupTenantUsage(rows: readonly TenantUsageRow[], groupBy: readonly Group[]): Row[] {
  const by = (group: Group) => groupBy.includes(group);
  const groups = new Map<string, Row>();
  for (const row of rows) {
    const keys: Partial<Record<Group, string | null>> = {};
    if (by('tenant')) keys.tenant = row.tenantId;
    if (by('day')) keys.day = row.day;
    if (by('month')) keys.month = row.day.slice(0, 7);
    if (by('model')) keys.model = row.model;
    const id = JSON.stringify(GROUPS.map((group) => keys[group] ?? null));
    let entry = groups.get(id);
    if (!entry) {
      entry = {
        ...(by('tenant') ? { tenant_id: keys.tenant ?? null } : {}),
        ...(by('day') ? { day: keys.day ?? null } : {}),
        ...(by('month') ? { month: keys.month ?? null } : {}),
        ...(by('model') ? { model: keys.model ?? null } : {}),
        turns: 0,
        input_tokens: 0,
        output_tokens: 0,
        total_tokens: 0,
        tool_calls: 0,
      };
      groups.set(id, entry);
    }
    entry.turns += row.turns;
    entry.input_tokens += row.inputTokens;
    entry.output_tokens += row.outputTokens;
    entry.total_tokens += row.totalTokens;
    entry.tool_calls += row.toolCalls;
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** Operator usage across every tenant, by tenant, day or month, and model. */
export function adminUsageRoutes(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/admin/usage',
      {
        schema: {
          tags: ['admin'],
          summary: 'Usage across all tenants, by tenant, day or month, and model (UTC days, default the last 30)',
          querystring: z.object({
            from: usageDaySchema.optional(),
            to: usageDaySchema.optional(),
            group_by: z
              .string()
              .regex(
                /^(tenant|day|month|model)(,(tenant|day|month|model)){0,3}$/,
                'must be tenant, day, month or model, comma-separated',
              )
              .default('tenant')
              .describe('Any of `tenant`, `day`, `month`, `model`, comma-separated (for example `month,tenant`)'),
          }),
          response: {
            200: z.object({ from: z.string(), to: z.string(), data: z.array(rowSchema) }),
            ...problems(401, 403, 422),
          },
        },
      },
      async (request) => {
        requireAdmin(request);
        const { from, to } = usageRange(request.query);
        const groupBy = request.query.group_by.split(',') as Group[];
        const rows = await services.admin.aggregateUsageAcrossTenants({ from, to });
        return { from, to, data: groupTenantUsage(rows, groupBy) };
      },
    );
  };
}
