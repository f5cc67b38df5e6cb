import { AppError } from '../errors.ts';
import type { Ids } from '../ids.ts';
import type { Storage } from '../ports.ts';
import type { ConfigService } from '../tenants/config-service.ts';
import type { TenantConfig } from '../tenants/tenant-config.ts';
import {
  type Agent,
  type AgentConfig,
  type AgentVersion,
  agentConfigSchema,
  DEFAULT_AGENT_ID,
  DEFAULT_MAX_AGENTS,
} from './agent.ts';
import { checkTools } from './check-tools.ts';
import { defaultAgentOf, defaultAgentVersionOf } from './default-agent.ts';

export interface AgentInput {
  name?: string;
  description?: string | null;
  metadata?: Record<string, string>;
  /** Config fields (camelCase), merged over the current config; each top-level field replaces the old one. */
  config?: Record<string, unknown>;
}

/**
 * A tenant's agents. The default agent always exists; its versions are the tenant config's, so it
 * is read and changed through the config service. Every other agent is stored as an `agents` row
 * with immutable `agent_versions`. Callers authorise the tenant; an agent of another tenant
 * answers AGENT_NOT_FOUND like a missing one.
 */
export function createAgentService({
  storage,
  configs,
  ids,
  checkModel,
  toolNames,
  acceptsTool,
}: {
  storage: Storage;
  configs: ConfigService;
  ids: Ids;
  /** Throws MODEL_NOT_ALLOWED or PROVIDER_KEY_MISSING for a model this tenant may not use. */
  checkModel?: (config: TenantConfig) => void;
  /** The tools a config may name; absent accepts any name. */
  toolNames?: () => readonly string[];
  /** Also accepts a name no list holds in advance (a platform MCP server's tool). */
  acceptsTool?: (name: string) => boolean;
}) {
  /** Validates a whole agent config and checks its tools and (when it changed) its model. */
  async function validate(tenantId: string, candidate: Record<string, unknown>, previous: AgentConfig | null) {
    const config = parseAgentConfig(candidate);
    checkTools(config.tools, toolNames?.(), acceptsTool);
    if (!previous || JSON.stringify(previous.model) !== JSON.stringify(config.model)) {
      // The tenant's allowlist decides, so the check runs against the tenant's settings.
      const { config: tenant } = await storage.getTenantConfig(tenantId);
      checkModel?.({ ...tenant, model: config.model });
    }
    return config;
  }

  async function existing(tenantId: string, agentId: string): Promise<Agent> {
    if (agentId === DEFAULT_AGENT_ID) return defaultAgentOf(await configs.current(tenantId));
    const agent = await storage.getAgent(tenantId, agentId);
    if (!agent) throw new AppError('AGENT_NOT_FOUND');
    return agent;
  }

  function refuseDefault(input: AgentInput) {
    if (input.name !== undefined || input.description !== undefined || input.metadata !== undefined) {
      throw new AppError('VALIDATION_FAILED', "The default agent's name, description and metadata cannot change");
    }
    if (input.config && 'limits' in input.config) {
      throw new AppError('VALIDATION_FAILED', "config.limits: the default agent's limits are the tenant's (operator)");
    }
  }

  async function getVersion(tenantId: string, agentId: string, version: number): Promise<AgentVersion> {
    if (agentId === DEFAULT_AGENT_ID) {
      const found = await storage.getTenantConfigVersion(tenantId, version);
      if (!found) throw new AppError('AGENT_VERSION_NOT_FOUND');
      return defaultAgentVersionOf(found);
    }
    const found = await storage.getAgentVersion(tenantId, agentId, version);
    if (found) return found;
    await existing(tenantId, agentId);
    throw new AppError('AGENT_VERSION_NOT_FOUND');
  }

  return {
    get: existing,
    version: getVersion,

    /** Agents ordered by id (the default one in its place); `afterId` is exclusive; fetch `limit + 1` to page. */
    async list(tenantId: string, { limit, afterId }: { limit: number; afterId: string | null }): Promise<Agent[]> {
      const rows = await storage.listAgents(tenantId, { limit, afterId });
      const last = rows.at(-1);
      const defaultHere =
        (afterId === null || afterId < DEFAULT_AGENT_ID) &&
        (rows.length < limit || (last && last.id > DEFAULT_AGENT_ID));
      if (!defaultHere) return rows;
      const merged = [...rows, defaultAgentOf(await configs.current(tenantId))].sort((a, b) =>
        a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
      );
      return merged.slice(0, limit);
    },

    async create(tenantId: string, input: AgentInput & { id?: string }, actor: string): Promise<Agent> {
      const id = input.id ?? ids.next('agt');
      if (id === DEFAULT_AGENT_ID) throw new AppError('AGENT_ALREADY_EXISTS');
      const config = await validate(tenantId, input.config ?? {}, null);
      const { config: tenant } = await storage.getTenantConfig(tenantId);
      return storage.createAgent(
        tenantId,
        {
          id,
          name: input.name ?? id,
          description: input.description ?? null,
          metadata: input.metadata ?? {},
          config,
          createdBy: actor,
        },
        { maxAgents: tenant.maxAgents ?? DEFAULT_MAX_AGENTS },
      );
    },

    /** Changes labels and, with `config`, stores a new version merged over the current one. */
    async update(tenantId: string, agentId: string, input: AgentInput, actor: string): Promise<Agent> {
      if (agentId === DEFAULT_AGENT_ID) {
        refuseDefault(input);
        if (!input.config) return existing(tenantId, agentId);
        return defaultAgentOf(await configs.update(tenantId, input.config, { actor, operator: false }));
      }
      const current = await existing(tenantId, agentId);
      // Validated here once over the current config; inside the transaction again over whatever is
      // current then (another update may have come first), so a stored version is always valid.
      const patch = input.config;
      if (patch) await validate(tenantId, { ...current.config, ...patch }, current.config);
      const updated = await storage.updateAgent(tenantId, agentId, {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
        ...(patch ? { nextConfig: (latest: AgentConfig) => parseAgentConfig({ ...latest, ...patch }) } : {}),
        createdBy: actor,
      });
      if (!updated) throw new AppError('AGENT_NOT_FOUND');
      return updated;
    },

    /** Versions newest first; `beforeVersion` is exclusive; fetch `limit + 1` to page. */
    async versions(
      tenantId: string,
      agentId: string,
      options: { limit: number; beforeVersion: number | null },
    ): Promise<AgentVersion[]> {
      if (agentId === DEFAULT_AGENT_ID) return (await configs.versions(tenantId, options)).map(defaultAgentVersionOf);
      const versions = await storage.listAgentVersions(tenantId, agentId, options);
      if (versions.length === 0) await existing(tenantId, agentId);
      return versions;
    },

    /** Makes an earlier version current again, as a new version. */
    async restore(tenantId: string, agentId: string, version: number, actor: string): Promise<Agent> {
      if (agentId === DEFAULT_AGENT_ID) {
        try {
          return defaultAgentOf(await configs.rollback(tenantId, version, { actor, operator: false }));
        } catch (error) {
          if (error instanceof AppError && error.code === 'CONFIG_VERSION_NOT_FOUND') {
            throw new AppError('AGENT_VERSION_NOT_FOUND');
          }
          throw error;
        }
      }
      const earlier = await getVersion(tenantId, agentId, version);
      const current = await existing(tenantId, agentId);
      await validate(tenantId, earlier.config, current.config);
      const restored = await storage.updateAgent(tenantId, agentId, {
        nextConfig: () => earlier.config,
        createdBy: actor,
      });
      if (!restored) throw new AppError('AGENT_NOT_FOUND');
      return restored;
    },

    /** Deletes an agent (never the default one); see `AgentStore.deleteAgent` for `cascade`. */
    async remove(tenantId: string, agentId: string, options: { cascade: boolean }): Promise<{ turnIds: string[] }> {
      if (agentId === DEFAULT_AGENT_ID) throw new AppError('VALIDATION_FAILED', 'The default agent cannot be deleted');
      const deleted = await storage.deleteAgent(tenantId, agentId, options);
      if (!deleted) throw new AppError('AGENT_NOT_FOUND');
      return deleted;
    },
  };
}

export type AgentService = ReturnType<typeof createAgentService>;

/** A whole agent config, or VALIDATION_FAILED naming each bad field (never a bare zod error). */
function parseAgentConfig(candidate: Record<string, unknown>): AgentConfig {
  const parsed = agentConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    const summary = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
    throw new AppError('VALIDATION_FAILED', summary.join('; '));
  }
  return parsed.data;
}
