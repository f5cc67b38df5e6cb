import type { TenantConfig, TenantConfigVersion } from '../tenants/tenant-config.ts';
import { type Agent, type AgentConfig, type AgentVersion, DEFAULT_AGENT_ID } from './agent.ts';

const NO_LIMITS: AgentConfig['limits'] = {
  requestsPerMinute: null,
  concurrentTurns: null,
  tokensPerMinute: null,
  tokensPerDay: null,
  tokensPerMonth: null,
};

/**
 * The agent fields of a tenant config: the default agent's config. Its limits are empty because
 * the tenant's own (the operator's) already apply to every turn.
 */
export function agentConfigOf(config: TenantConfig): AgentConfig {
  return {
    systemPrompt: config.systemPrompt,
    model: config.model,
    language: config.language,
    tools: config.tools,
    contextBudgetTokens: config.contextBudgetTokens,
    // Configs stored before these fields existed lack them.
    sessionConcurrency: config.sessionConcurrency ?? 'enqueue',
    temperature: config.temperature ?? null,
    maxOutputTokens: config.maxOutputTokens ?? null,
    stopSequences: config.stopSequences ?? [],
    mcpServers: config.mcpServers ?? [],
    limits: NO_LIMITS,
  };
}

/** Every tenant's default agent, whose versions are the tenant config versions (`/v1/config`). */
export function defaultAgentOf(version: TenantConfigVersion): Agent {
  return {
    id: DEFAULT_AGENT_ID,
    name: 'Default agent',
    description: 'The agent of /agent/interact and of sessions that name no agent; its config is /v1/config.',
    metadata: {},
    version: version.version,
    config: agentConfigOf(version.config),
    createdAt: version.createdAt,
    updatedAt: version.createdAt,
  };
}

export function defaultAgentVersionOf(version: TenantConfigVersion): AgentVersion {
  return {
    agentId: DEFAULT_AGENT_ID,
    version: version.version,
    config: agentConfigOf(version.config),
    createdBy: version.createdBy,
    createdAt: version.createdAt,
  };
}
