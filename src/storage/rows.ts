import type { ContentPart, Message, Role, ToolCall } from '../core/conversations/message.ts';
import type { Session } from '../core/conversations/session.ts';
import type { Tenant } from '../core/tenants/tenant.ts';
import type { SqlRow } from './sql-database.ts';

/** Column lists and row mappers shared by every dialect. */
export const MESSAGE_COLUMNS =
  'tenant_id, session_id, seq, id, turn_id, role, status, content, tool_calls, final, input_tokens, output_tokens, total_tokens, model, latency_ms, request_id, config_version, user_id, created_at, agent_id';

export const SESSION_COLUMNS =
  'tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at, agent_id, forked_from_session_id, forked_from_turn_id';

const text = (value: SqlRow[string]): string => String(value);
const nullableText = (value: SqlRow[string]): string | null => (value === null ? null : String(value));
const nullableNumber = (value: SqlRow[string]): number | null => (value === null ? null : Number(value));

export function toMessage(row: SqlRow): Message {
  const inputTokens = nullableNumber(row.input_tokens ?? null);
  return {
    id: text(row.id ?? null),
    tenantId: text(row.tenant_id ?? null),
    sessionId: text(row.session_id ?? null),
    seq: Number(row.seq),
    turnId: text(row.turn_id ?? null),
    role: text(row.role ?? null) as Role,
    status: text(row.status ?? null) as Message['status'],
    content: JSON.parse(text(row.content ?? null)) as ContentPart[],
    toolCalls: row.tool_calls == null ? null : (JSON.parse(text(row.tool_calls)) as ToolCall[]),
    final: Number(row.final) === 1,
    usage:
      inputTokens === null
        ? null
        : {
            inputTokens,
            outputTokens: Number(row.output_tokens ?? 0),
            totalTokens: Number(row.total_tokens ?? 0),
          },
    model: nullableText(row.model ?? null),
    latencyMs: nullableNumber(row.latency_ms ?? null),
    requestId: nullableText(row.request_id ?? null),
    configVersion: nullableNumber(row.config_version ?? null),
    userId: nullableText(row.user_id ?? null),
    createdAt: text(row.created_at ?? null),
    agentId: nullableText(row.agent_id ?? null),
  };
}

export function toSession(row: SqlRow): Session {
  return {
    id: text(row.id ?? null),
    tenantId: text(row.tenant_id ?? null),
    title: nullableText(row.title ?? null),
    userId: nullableText(row.user_id ?? null),
    metadata: JSON.parse(text(row.metadata ?? '{}')) as Record<string, string>,
    agentId: nullableText(row.agent_id ?? null),
    messageCount: Number(row.last_seq ?? 0),
    forkedFrom:
      row.forked_from_turn_id == null
        ? null
        : { sessionId: text(row.forked_from_session_id ?? null), turnId: text(row.forked_from_turn_id) },
    createdAt: text(row.created_at ?? null),
    updatedAt: text(row.updated_at ?? null),
  };
}

export const TENANT_COLUMNS = 'id, name, status, config_version, created_at, updated_at';

export function toTenant(row: SqlRow): Tenant {
  const createdAt = text(row.created_at ?? null);
  return {
    id: text(row.id ?? null),
    name: text(row.name ?? null),
    status: text(row.status ?? 'active') as Tenant['status'],
    configVersion: Number(row.config_version ?? 0),
    createdAt,
    updatedAt: nullableText(row.updated_at ?? null) ?? createdAt,
  };
}
