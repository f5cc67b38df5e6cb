import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { DEFAULT_TENANT_CONFIG, type TenantConfig } from '../tenants/tenant-config.ts';
import type { Agent } from './agent.ts';
import { gatewayConfig, parseModelName, resolveModelName } from './model-name.ts';

const tenant = {
  version: 3,
  config: { ...DEFAULT_TENANT_CONFIG, systemPrompt: 'Tenant prompt' },
  createdBy: 'x',
  createdAt: '2026-01-01T00:00:00.000Z',
};

function agent(id: string, name: string): Agent {
  return {
    id,
    name,
    description: null,
    metadata: {},
    version: 2,
    config: {} as Agent['config'],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** One tenant's agents; any other tenant has none (as storage answers). */
function store(tenantId: string, agents: Agent[]) {
  return {
    async getAgent(asked: string, id: string) {
      return asked === tenantId ? (agents.find((entry) => entry.id === id) ?? null) : null;
    },
    async findAgentsByName(asked: string, name: string, limit: number) {
      if (asked !== tenantId) return [];
      return agents.filter((entry) => entry.name === name).slice(0, limit);
    },
  };
}

/** Allows `simulated:*` and `openai:gpt-4o` only. */
function checkModel(config: TenantConfig): void {
  const { provider, id } = config.model;
  if (provider === 'simulated' || (provider === 'openai' && id === 'gpt-4o')) return;
  throw new AppError('MODEL_NOT_ALLOWED');
}

describe('resolveModelName', () => {
  const agents = [agent('support', 'Support bot'), agent('sales', 'Twin'), agent('sales2', 'Twin')];
  const deps = { agents: store('t1', agents), checkModel };

  it('finds the default agent, an agent by id, then by name', async () => {
    expect(await resolveModelName(deps, 't1', tenant, 'default')).toMatchObject({
      kind: 'agent',
      id: 'default',
      agent: null,
    });
    expect(await resolveModelName(deps, 't1', tenant, 'support')).toMatchObject({
      kind: 'agent',
      id: 'support',
      agent: { id: 'support', version: 2 },
    });
    expect(await resolveModelName(deps, 't1', tenant, 'Support bot')).toMatchObject({ kind: 'agent', id: 'support' });
  });

  it('refuses a name two agents share, and finds them by id', async () => {
    await expect(resolveModelName(deps, 't1', tenant, 'Twin')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(await resolveModelName(deps, 't1', tenant, 'sales2')).toMatchObject({ kind: 'agent', id: 'sales2' });
  });

  it('takes provider/model and provider:model the tenant may use, and nothing else', async () => {
    expect(await resolveModelName(deps, 't1', tenant, 'openai/gpt-4o')).toEqual({
      kind: 'model',
      id: 'openai/gpt-4o',
      provider: 'openai',
      modelId: 'gpt-4o',
    });
    expect(await resolveModelName(deps, 't1', tenant, 'openai:gpt-4o')).toMatchObject({ id: 'openai/gpt-4o' });
    for (const name of ['openai/gpt-5', 'nobody', 'Support', 'support ', '../support']) {
      await expect(resolveModelName(deps, 't1', tenant, name)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    }
  });

  it('never finds another tenant’s agent', async () => {
    for (const name of ['support', 'Support bot']) {
      await expect(resolveModelName(deps, 't2', tenant, name)).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        message: `The model '${name}' does not exist or you do not have access to it.`,
      });
    }
  });

  it('pages through many agents when looking one up by name', async () => {
    const many = Array.from({ length: 250 }, (_, index) =>
      agent(`a${String(index).padStart(3, '0')}`, `Agent ${index}`),
    );
    expect(await resolveModelName({ agents: store('t1', many) }, 't1', tenant, 'Agent 249')).toMatchObject({
      id: 'a249',
    });
  });
});

describe('parseModelName and gatewayConfig', () => {
  it('parses provider/model and provider:model, and nothing else', () => {
    expect(parseModelName('openai/gpt-4o')).toEqual({ provider: 'openai', modelId: 'gpt-4o' });
    expect(parseModelName('bedrock:anthropic.claude-3:0')).toEqual({
      provider: 'bedrock',
      modelId: 'anthropic.claude-3:0',
    });
    expect(parseModelName('support')).toBeNull();
    expect(parseModelName('Open/x')).toBeNull();
    expect(parseModelName('openai/has space')).toBeNull();
  });

  it('runs a gateway call without prompt, tools or language, keeping BYOK only for the same provider', () => {
    const withKey = {
      ...tenant.config,
      tools: ['current_time'],
      language: 'fr',
      model: { provider: 'openai', id: 'gpt-4o-mini', apiKeySecret: 'openai.key' },
    };
    expect(gatewayConfig(withKey, { provider: 'openai', modelId: 'gpt-4o' })).toMatchObject({
      systemPrompt: null,
      tools: [],
      language: null,
      model: { provider: 'openai', id: 'gpt-4o', apiKeySecret: 'openai.key' },
    });
    expect(gatewayConfig(withKey, { provider: 'simulated', modelId: 'simulated-1' }).model).toEqual({
      provider: 'simulated',
      id: 'simulated-1',
    });
  });
});
