import type { Storage } from '../core/ports.ts';
import {
  type NewUsageRecord,
  USAGE_GROUPS,
  type UsageAggregate,
  type UsageGroup,
  type UsageRecord,
} from '../core/usage/usage-record.ts';
import type { SqlClient, SqlDatabase, SqlRow } from './sql-database.ts';

export const USAGE_COLUMNS =
  'tenant_id, id, session_id, turn_id, key_id, user_id, model, config_version, input_tokens, output_tokens, total_tokens, tool_calls, latency_ms, status, day, created_at, estimated, agent_id';

const nullable = (value: SqlRow[string] | undefined): string | null => (value == null ? null : String(value));

function toUsageRecord(row: SqlRow): UsageRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    sessionId: String(row.session_id),
    turnId: String(row.turn_id),
    keyId: nullable(row.key_id),
    userId: nullable(row.user_id),
    model: String(row.model),
    configVersion: Number(row.config_version),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    totalTokens: Number(row.total_tokens),
    toolCalls: Number(row.tool_calls),
    latencyMs: Number(row.latency_ms),
    status: String(row.status) as UsageRecord['status'],
    estimated: Number(row.estimated) === 1,
    day: String(row.day),
    createdAt: String(row.created_at),
    agentId: nullable(row.agent_id),
  };
}

type UsageMethods = Pick<Storage, 'listUsage' | 'aggregateUsage'>;

/** Reads of the usage ledger. Records are written by `completeTurn`, in the turn's own transaction. */
/** Writes one usage record inside the caller's transaction (the turn's, or the summary's). */
export async function insertUsage(
  client: SqlClient,
  tenantId: string,
  usage: NewUsageRecord,
  createdAt: string,
): Promise<void> {
  await client.run(
    `INSERT INTO usage_records (${USAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      tenantId,
      usage.id,
      usage.sessionId,
      usage.turnId,
      usage.keyId,
      usage.userId,
      usage.model,
      usage.configVersion,
      usage.inputTokens,
      usage.outputTokens,
      usage.totalTokens,
      usage.toolCalls,
      Math.round(usage.latencyMs),
      usage.status,
      createdAt.slice(0, 10),
      createdAt,
      usage.estimated ? 1 : 0,
      usage.agentId ?? null,
    ],
  );
}

export function createSqlUsage(database: SqlDatabase): UsageMethods {
  return {
    async listUsage(tenantId, { limit, beforeId, from, to }) {
      const rows = await database
        .forTenant(tenantId)
        .all(
          `SELECT ${USAGE_COLUMNS} FROM usage_records WHERE tenant_id = ? AND day >= ? AND day <= ? AND id < ? ORDER BY id DESC LIMIT ?`,
          [tenantId, from, to, beforeId ?? '~', limit],
        );
      return rows.map(toUsageRecord);
    },

    async aggregateUsage(tenantId, { from, to, groupBy, keyId }) {
      const by = (group: UsageGroup) => groupBy.includes(group);
      // Records written before agents, and the default agent's, have no agent_id.
      const expressions: Record<UsageGroup, string> = {
        day: 'day',
        month: 'substr(day, 1, 7)',
        model: 'model',
        agent: "coalesce(agent_id, 'default')",
        key: 'key_id',
        user: 'user_id',
      };
      const columns = USAGE_GROUPS.map((group) =>
        by(group) ? `${expressions[group]} AS g_${group}` : `NULL AS g_${group}`,
      );
      const group = USAGE_GROUPS.filter(by)
        .map((name) => expressions[name])
        .join(', ');
      const rows = await database.forTenant(tenantId).all(
        // A `summary` record charges tokens but is no turn of its own.
        `SELECT ${columns.join(', ')}, count(*) AS records, sum(CASE WHEN status = 'summary' THEN 0 ELSE 1 END) AS turns, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                sum(total_tokens) AS total_tokens, sum(tool_calls) AS tool_calls,
                avg(CASE WHEN status = 'summary' THEN NULL ELSE latency_ms END) AS latency_ms_avg
           FROM usage_records WHERE tenant_id = ? AND day >= ? AND day <= ?${keyId === undefined ? '' : ' AND key_id = ?'}
           ${group ? `GROUP BY ${group} ORDER BY ${group}` : ''}`,
        keyId === undefined ? [tenantId, from, to] : [tenantId, from, to, keyId],
      );
      return rows
        .filter((row) => Number(row.records) > 0)
        .map(
          (row): UsageAggregate => ({
            day: nullable(row.g_day),
            model: nullable(row.g_model),
            ...(by('month') ? { month: nullable(row.g_month) } : {}),
            ...(by('agent') ? { agent: nullable(row.g_agent) } : {}),
            ...(by('key') ? { keyId: nullable(row.g_key) } : {}),
            ...(by('user') ? { userId: nullable(row.g_user) } : {}),
            turns: Number(row.turns),
            inputTokens: Number(row.input_tokens ?? 0),
            outputTokens: Number(row.output_tokens ?? 0),
            totalTokens: Number(row.total_tokens ?? 0),
            toolCalls: Number(row.tool_calls ?? 0),
            latencyMsAvg: row.latency_ms_avg == null ? null : Math.round(Number(row.latency_ms_avg)),
          }),
        );
    },
  };
}
