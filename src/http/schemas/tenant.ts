import { z } from 'zod';
import type { AuditEntry } from '../../core/audit/audit-entry.ts';
import type { AdminKeyRecord, ApiKeyRecord } from '../../core/auth/api-key-record.ts';
import { SCOPES } from '../../core/auth/principal.ts';
import type { Tenant } from '../../core/tenants/tenant.ts';
import type { TenantConfigVersion } from '../../core/tenants/tenant-config.ts';
import type { UsageAggregate, UsageRecord } from '../../core/usage/usage-record.ts';

export const tenantSchema = z
  .object({
    id: z.string(),
    object: z.literal('tenant'),
    name: z.string(),
    status: z.enum(['active', 'suspended']),
    config_version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Tenant' });

export const toTenantJson = (tenant: Tenant): z.infer<typeof tenantSchema> => ({
  id: tenant.id,
  object: 'tenant',
  name: tenant.name,
  status: tenant.status,
  config_version: tenant.configVersion,
  created_at: tenant.createdAt,
  updated_at: tenant.updatedAt,
});

export const apiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal('api_key'),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    limits: z.record(z.string(), z.number().int().nullable()).nullable(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'ApiKey' });

export const toApiKeyJson = (key: ApiKeyRecord): z.infer<typeof apiKeySchema> => ({
  id: key.id,
  object: 'api_key',
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  limits: key.limits,
  expires_at: key.expiresAt,
  last_used_at: key.lastUsedAt,
  revoked_at: key.revokedAt,
  created_at: key.createdAt,
});

export const toAdminKeyJson = (key: AdminKeyRecord) => ({
  id: key.id,
  name: key.name,
  revoked_at: key.revokedAt,
  created_at: key.createdAt,
});

export const configVersionSchema = z
  .object({
    version: z.number().int(),
    config: z.record(z.string(), z.unknown()),
    created_by: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'ConfigVersion' });

/** A config as shown over the API: a JWT shared secret is never echoed back. */
export const toConfigJson = (version: TenantConfigVersion): z.infer<typeof configVersionSchema> => ({
  version: version.version,
  config: {
    ...version.config,
    // The secret itself never comes back: a trust names its secret (`secretName`); a legacy inline one shows as ***.
    jwt: version.config.jwt ? { ...version.config.jwt, ...(version.config.jwt.secret ? { secret: '***' } : {}) } : null,
  },
  created_by: version.createdBy,
  created_at: version.createdAt,
});

export const usageRecordSchema = z.object({
  id: z.string(),
  session_id: z.string(),
  turn_id: z.string(),
  key_id: z.string().nullable(),
  user_id: z.string().nullable(),
  model: z.string(),
  config_version: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  tool_calls: z.number().int(),
  latency_ms: z.number().int(),
  status: z.string(),
  /** True when the provider reported no usage and the tokens were counted by Enclave. */
  estimated: z.boolean(),
  created_at: z.string(),
});

export const toUsageRecordJson = (record: UsageRecord): z.infer<typeof usageRecordSchema> => ({
  id: record.id,
  session_id: record.sessionId,
  turn_id: record.turnId,
  key_id: record.keyId,
  user_id: record.userId,
  model: record.model,
  config_version: record.configVersion,
  input_tokens: record.inputTokens,
  output_tokens: record.outputTokens,
  total_tokens: record.totalTokens,
  tool_calls: record.toolCalls,
  latency_ms: record.latencyMs,
  status: record.status,
  estimated: record.estimated,
  created_at: record.createdAt,
});

export const usageAggregateSchema = z.object({
  day: z.string().nullable(),
  model: z.string().nullable(),
  /** Present when grouped by agent. */
  agent: z.string().nullable().optional(),
  /** Present when grouped by month (`YYYY-MM`). */
  month: z.string().nullable().optional(),
  /** Present when grouped by key; null for turns of no API key (a JWT). */
  key_id: z.string().nullable().optional(),
  /** Present when grouped by user; null for turns of no end user. */
  user_id: z.string().nullable().optional(),
  turns: z.number().int(),
  /** Mean turn latency in ms (null when no turn recorded one). */
  latency_ms_avg: z.number().int().nullable(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
  tool_calls: z.number().int(),
});

export const toUsageAggregateJson = (row: UsageAggregate): z.infer<typeof usageAggregateSchema> => ({
  day: row.day,
  model: row.model,
  ...(row.agent !== undefined ? { agent: row.agent } : {}),
  ...(row.month !== undefined ? { month: row.month } : {}),
  ...(row.keyId !== undefined ? { key_id: row.keyId } : {}),
  ...(row.userId !== undefined ? { user_id: row.userId } : {}),
  turns: row.turns,
  latency_ms_avg: row.latencyMsAvg ?? null,
  input_tokens: row.inputTokens,
  output_tokens: row.outputTokens,
  total_tokens: row.totalTokens,
  tool_calls: row.toolCalls,
});

export const auditEntrySchema = z.object({
  id: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  request_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});

export const toAuditJson = (entry: AuditEntry): z.infer<typeof auditEntrySchema> => ({
  id: entry.id,
  actor: entry.actor,
  action: entry.action,
  target: entry.target,
  request_id: entry.requestId,
  details: entry.details,
  created_at: entry.createdAt,
});
