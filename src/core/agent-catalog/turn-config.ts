import type { LimitSettings, TenantConfigVersion } from '../tenants/tenant-config.ts';
import { DEFAULT_AGENT_ID, type TurnAgent } from './agent.ts';

/** What a turn runs with: the tenant's config with the agent's behaviour over it. */
export interface TurnConfig {
  agentId: string;
  /** The agent's config version, with the tenant's settings (limits, JWT trust, allowed models) kept. */
  config: TenantConfigVersion;
  /** The agent's own limits; null for the default agent and for an agent that sets none. */
  agentLimits: LimitSettings | null;
}

/**
 * The config of a turn of `agent` (null: the default agent, whose config is the tenant's). The
 * tenant's settings always come from the tenant: an agent can never lift a limit or widen the
 * models the operator allows.
 */
export function turnConfigOf(tenant: TenantConfigVersion, agent: TurnAgent | null): TurnConfig {
  if (!agent) return { agentId: DEFAULT_AGENT_ID, config: tenant, agentLimits: null };
  const { limits, ...behaviour } = agent.config;
  return {
    agentId: agent.id,
    config: {
      version: agent.version,
      config: { ...tenant.config, ...behaviour },
      createdBy: tenant.createdBy,
      createdAt: tenant.createdAt,
    },
    // An agent without limits of its own keeps no counters of its own.
    agentLimits: Object.values(limits).some((value) => value !== null) ? limits : null,
  };
}
