import type { Config } from '../../config/config-schema.ts';
import type { UsageAggregate } from '../../core/usage/usage-record.ts';
import { tenantIdArg } from '../cli-args.ts';
import { requireTenant, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { parseDay, utcDay } from '../parse-dates.ts';
import { UsageError } from '../usage-error.ts';

type GroupBy = ('day' | 'model')[];

/** `--by day|model|day,model` (either order); `day` when absent. */
function parseGroupBy(value: string | undefined): GroupBy {
  if (value === undefined) return ['day'];
  const parts = value.split(',').map((part) => part.trim());
  const valid =
    parts.length > 0 &&
    parts.length <= 2 &&
    new Set(parts).size === parts.length &&
    parts.every((part) => part === 'day' || part === 'model');
  if (!valid) throw new UsageError('--by must be day, model or day,model');
  return (['day', 'model'] as const).filter((part) => parts.includes(part));
}

const usageJson = (row: UsageAggregate, groupBy: GroupBy) => ({
  ...(groupBy.includes('day') ? { day: row.day } : {}),
  ...(groupBy.includes('model') ? { model: row.model } : {}),
  turns: row.turns,
  input_tokens: row.inputTokens,
  output_tokens: row.outputTokens,
  total_tokens: row.totalTokens,
  tool_calls: row.toolCalls,
});

/** `enclave usage --tenant T [--from DAY] [--to DAY] [--by day|model|day,model]`: the usage ledger, summed. */
export async function usageCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const tenantId = tenantIdArg(args.options.tenant, 'usage --tenant');
  const now = new Date();
  const to = parseDay('to', args.options.to, utcDay(now));
  // The default window is the 30 days ending with `to` (today UTC unless given).
  const from = parseDay('from', args.options.from, utcDay(new Date(`${to}T00:00:00Z`), -29));
  if (from > to) throw new UsageError(`--from (${from}) must not be after --to (${to})`);
  const groupBy = parseGroupBy(args.options.by);
  const rows = await withStorage(config, async ({ storage }) => {
    await requireTenant(storage, tenantId);
    return storage.aggregateUsage(tenantId, { from, to, groupBy });
  });
  const data = rows.map((row) => usageJson(row, groupBy));
  const total = rows.reduce((sum, row) => ({ turns: sum.turns + row.turns, tokens: sum.tokens + row.totalTokens }), {
    turns: 0,
    tokens: 0,
  });
  out.line(`Usage of tenant ${tenantId} from ${from} to ${to} (UTC), by ${groupBy.join(' and ')}:`);
  out.table(data);
  out.line(`Total: ${total.turns} turns, ${total.tokens} tokens`);
  out.json({
    tenant_id: tenantId,
    from,
    to,
    group_by: groupBy,
    data,
    total: { turns: total.turns, total_tokens: total.tokens },
  });
}
