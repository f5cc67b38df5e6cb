import { AppError, isAppError } from '../errors.ts';
import type { TenantConfig, TenantConfigVersion } from '../tenants/tenant-config.ts';
import { type Agent, DEFAULT_AGENT_ID, type TurnAgent } from './agent.ts';
import type { AgentStore } from './agent-store.ts';

/**
 * What an OpenAI `model` string names within one tenant: one of its agents (the default agent is
 * `default`), or a plain model the tenant may use, called as a gateway (no agent prompt, no tools).
 */
export type ModelTarget =
  | { kind: 'agent'; id: string; name: string; agent: TurnAgent | null }
  | { kind: 'model'; id: string; provider: string; modelId: string };

export interface ModelNameDeps {
  agents: Pick<AgentStore, 'getAgent' | 'findAgentsByName'>;
  /** Throws MODEL_NOT_ALLOWED (or PROVIDER_KEY_MISSING) when the tenant may not call this config's model. */
  checkModel?(config: TenantConfig): void;
}

/**
 * Resolves `name` in `tenantId` only: an agent id, then an agent name (unique), then
 * `provider/model` (or `provider:model`) that the tenant's config allows. Anything else (an agent
 * of another tenant, a model the operator does not offer this tenant) is MODEL_NOT_FOUND, the same
 * answer for all, so a caller learns nothing about other tenants.
 */
export async function resolveModelName(
  deps: ModelNameDeps,
  tenantId: string,
  tenant: TenantConfigVersion,
  name: string,
): Promise<ModelTarget> {
  if (name === DEFAULT_AGENT_ID) return { kind: 'agent', id: DEFAULT_AGENT_ID, name: 'Default agent', agent: null };
  const byId = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name) ? await deps.agents.getAgent(tenantId, name) : null;
  if (byId) return agentTarget(byId);
  const byName = await findByName(deps.agents, tenantId, name);
  if (byName) return agentTarget(byName);
  const model = parseModelName(name);
  if (model && allows(deps, tenant.config, model)) {
    return { kind: 'model', id: `${model.provider}/${model.modelId}`, ...model };
  }
  throw modelNotFound(name);
}

export function modelNotFound(name: string): AppError {
  // Quoted as the caller sent it (bounded), as OpenAI does; it names nothing the caller did not send.
  return new AppError(
    'MODEL_NOT_FOUND',
    `The model '${name.slice(0, 200)}' does not exist or you do not have access to it.`,
  );
}

/** `provider/model` or `provider:model`, the provider an id (`openai`, `simulated`); null otherwise. */
export function parseModelName(name: string): { provider: string; modelId: string } | null {
  const match = /^([a-z][a-z0-9_-]{0,31})[/:](\S{1,128})$/.exec(name);
  return match ? { provider: match[1] as string, modelId: match[2] as string } : null;
}

/**
 * The tenant config that calls `model` as a gateway: the tenant's settings, no system prompt and
 * no tools. The tenant's own provider key (BYOK) is used when the config names the same provider.
 */
export function gatewayConfig(tenant: TenantConfig, model: { provider: string; modelId: string }): TenantConfig {
  const apiKeySecret = tenant.model.provider === model.provider ? (tenant.model.apiKeySecret ?? null) : null;
  return {
    ...tenant,
    systemPrompt: null,
    tools: [],
    language: null,
    temperature: null,
    maxOutputTokens: null,
    stopSequences: [],
    model: { provider: model.provider, id: model.modelId, ...(apiKeySecret ? { apiKeySecret } : {}) },
  };
}

function allows(deps: ModelNameDeps, tenant: TenantConfig, model: { provider: string; modelId: string }): boolean {
  if (!deps.checkModel) return model.provider === tenant.model.provider && model.modelId === tenant.model.id;
  try {
    deps.checkModel(gatewayConfig(tenant, model));
    return true;
  } catch (error) {
    // A model the tenant may use but has no key for is found: the turn answers PROVIDER_KEY_MISSING.
    if (isAppError(error) && error.code === 'PROVIDER_KEY_MISSING') return true;
    if (isAppError(error) && error.code === 'MODEL_NOT_ALLOWED') return false;
    throw error;
  }
}

async function findByName(agents: ModelNameDeps['agents'], tenantId: string, name: string): Promise<Agent | null> {
  const [found, other] = await agents.findAgentsByName(tenantId, name, 2);
  // Two agents with one name: neither is meant more than the other; the caller uses an id.
  if (other) {
    throw new AppError(
      'MODEL_NOT_FOUND',
      `More than one agent is named '${name.slice(0, 200)}': use the agent's id as the model.`,
    );
  }
  return found ?? null;
}

function agentTarget(agent: Agent): ModelTarget {
  return {
    kind: 'agent',
    id: agent.id,
    name: agent.name,
    agent: { id: agent.id, version: agent.version, config: agent.config },
  };
}
