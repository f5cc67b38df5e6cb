import { z } from 'zod';
import type { Agent, AgentConfig, AgentVersion } from '../../core/agent-catalog/agent.ts';
import { AGENT_ID_PATTERN } from '../../core/agent-catalog/agent.ts';
import { SESSION_CONCURRENCY } from '../../core/turns/session-lock.ts';

/** Agent ids in paths and bodies. */
export const agentIdSchema = z.string().regex(AGENT_ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$');

const limit = z.number().int().positive().nullable();
const limitsJson = z
  .object({
    requests_per_minute: limit,
    concurrent_turns: limit,
    tokens_per_minute: limit,
    tokens_per_day: limit,
    tokens_per_month: limit,
  })
  .strict();

const modelJson = z
  .object({ provider: z.string(), id: z.string(), api_key_secret: z.string().nullable().optional() })
  .strict();

/** The config fields shared by the full config and a patch (snake_case on the wire). */
const configFields = {
  system_prompt: z.string().nullable(),
  language: z.string().nullable(),
  tools: z.array(z.string()),
  /** MCP servers (by name) whose tools the agent offers, and optionally which tools (null: all). */
  mcp_servers: z.array(z.object({ server: z.string(), tools: z.array(z.string()).nullable().optional() }).strict()),
  context_budget_tokens: z.number().int().nullable(),
  session_concurrency: z.enum(SESSION_CONCURRENCY),
  temperature: z.number().nullable(),
  max_output_tokens: z.number().int().nullable(),
  stop_sequences: z.array(z.string()),
};

/** An agent config on the wire: snake_case. */
export const agentConfigJsonSchema = z
  .object({ ...configFields, model: modelJson, limits: limitsJson })
  .meta({ id: 'AgentConfig' });

/**
 * A config change: any subset of the fields, each replacing the current value (`limits` and
 * `model` whole). Unknown fields answer 422 naming them. Values are checked by the agent service.
 */
export const agentConfigPatchSchema = z
  .object({ ...configFields, model: modelJson.partial({ provider: true }), limits: limitsJson.partial() })
  .partial()
  .strict();

const metadataSchema = z
  .record(z.string().max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 32, 'at most 32 keys');

export const agentLabelsSchema = {
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2_000).nullable().optional(),
  metadata: metadataSchema.optional(),
};

export const agentSchema = z
  .object({
    id: z.string(),
    object: z.literal('agent'),
    name: z.string(),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    version: z.number().int(),
    config: agentConfigJsonSchema,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Agent' });

export const agentVersionSchema = z
  .object({
    object: z.literal('agent_version'),
    agent_id: z.string(),
    version: z.number().int(),
    config: agentConfigJsonSchema,
    created_by: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'AgentVersion' });

export function toAgentConfigJson(config: AgentConfig): z.infer<typeof agentConfigJsonSchema> {
  return {
    system_prompt: config.systemPrompt,
    model: {
      provider: config.model.provider,
      id: config.model.id,
      ...(config.model.apiKeySecret !== undefined ? { api_key_secret: config.model.apiKeySecret } : {}),
    },
    language: config.language,
    tools: config.tools,
    mcp_servers: (config.mcpServers ?? []).map((item) => ({ server: item.server, tools: item.tools })),
    context_budget_tokens: config.contextBudgetTokens,
    session_concurrency: config.sessionConcurrency,
    temperature: config.temperature,
    max_output_tokens: config.maxOutputTokens,
    stop_sequences: config.stopSequences,
    limits: {
      requests_per_minute: config.limits.requestsPerMinute,
      concurrent_turns: config.limits.concurrentTurns,
      tokens_per_minute: config.limits.tokensPerMinute,
      tokens_per_day: config.limits.tokensPerDay,
      tokens_per_month: config.limits.tokensPerMonth,
    },
  };
}

export const toAgentJson = (agent: Agent): z.infer<typeof agentSchema> => ({
  id: agent.id,
  object: 'agent',
  name: agent.name,
  description: agent.description,
  metadata: agent.metadata,
  version: agent.version,
  config: toAgentConfigJson(agent.config),
  created_at: agent.createdAt,
  updated_at: agent.updatedAt,
});

export const toAgentVersionJson = (version: AgentVersion): z.infer<typeof agentVersionSchema> => ({
  object: 'agent_version',
  agent_id: version.agentId,
  version: version.version,
  config: toAgentConfigJson(version.config),
  created_by: version.createdBy,
  created_at: version.createdAt,
});
