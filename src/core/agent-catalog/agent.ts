import { z } from 'zod';
import { limitSettingsSchema, tenantConfigSchema } from '../tenants/tenant-config.ts';

/** The reserved id of every tenant's default agent (its versions are the tenant config's). */
export const DEFAULT_AGENT_ID = 'default';

/** A client-chosen agent id: a letter or digit, then up to 63 letters, digits, `_` or `-`. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** How many agents (the default one included) a tenant may have unless the operator sets `maxAgents`. */
export const DEFAULT_MAX_AGENTS = 100;

const behaviour = tenantConfigSchema.shape;

/** Model settings users expect; null or empty leaves them to the provider. */
export const modelSettingsShape = {
  /** Sampling temperature, 0 to 2. */
  temperature: z.number().min(0).max(2).nullable().default(null),
  /** Most tokens the model may write in one step. */
  maxOutputTokens: z.number().int().min(1).max(1_000_000).nullable().default(null),
  /** Sequences that end the model's output. */
  stopSequences: z.array(z.string().min(1).max(100)).max(8).default([]),
};

/**
 * An agent's versioned config (stored camelCase; the API shows it snake_case). Every change stores
 * a new version; a stored version is never changed.
 */
export const agentConfigSchema = z
  .object({
    systemPrompt: behaviour.systemPrompt,
    model: behaviour.model,
    language: behaviour.language,
    tools: behaviour.tools,
    mcpServers: behaviour.mcpServers.unwrap().default([]),
    contextBudgetTokens: behaviour.contextBudgetTokens,
    sessionConcurrency: behaviour.sessionConcurrency,
    ...modelSettingsShape,
    /**
     * This agent's own limits (null is unlimited); a turn gets the tightest of the tenant's, the
     * key's and these. They can only narrow what the operator set for the tenant.
     */
    limits: limitSettingsSchema.default(limitSettingsSchema.parse({})),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** The config fields an agent has, in the order the API lists them. */
export const AGENT_CONFIG_FIELDS = Object.keys(agentConfigSchema.shape) as (keyof AgentConfig)[];

export interface Agent {
  id: string;
  name: string;
  description: string | null;
  metadata: Record<string, string>;
  /** The current version: the one a turn of this agent uses. */
  version: number;
  config: AgentConfig;
  createdAt: string;
  updatedAt: string;
}

export interface AgentVersion {
  agentId: string;
  version: number;
  config: AgentConfig;
  createdBy: string;
  createdAt: string;
}

export interface NewAgent {
  id: string;
  name: string;
  description: string | null;
  metadata: Record<string, string>;
  config: AgentConfig;
  createdBy: string;
}

/** What a turn needs of its agent: which one, which version, and its config. */
export interface TurnAgent {
  id: string;
  version: number;
  config: AgentConfig;
}
