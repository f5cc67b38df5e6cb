import type { Config } from '../../config/config-schema.ts';
import type { Agent, AgentVersion } from '../../core/agent-catalog/agent.ts';
import { createAgentService } from '../../core/agent-catalog/agent-service.ts';
import { createIds } from '../../core/ids.ts';
import type { Storage } from '../../core/ports.ts';
import { camelCaseKeys, createConfigService } from '../../core/tenants/config-service.ts';
import { createTenantDirectory } from '../../core/tenants/tenant-directory.ts';
import { toolCatalog } from '../../tools/mcp/platform/platform-tool-names.ts';
import { createToolRegistry } from '../../tools/tool-registry.ts';
import { requiredArg, tenantIdArg } from '../cli-args.ts';
import { auditCli, requireTenant, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { UsageError } from '../usage-error.ts';

const ACTIONS = ['list', 'create', 'show', 'update', 'versions', 'restore', 'delete'] as const;
const USAGE =
  'agents needs one of: list, create [<id>], show <id>, update <id>, versions <id>, restore <id> <version>, delete <id> --yes [--cascade]; each with --tenant <id>';

/** The HTTP API's shape (snake_case config). */
const agentJson = (agent: Agent) => ({
  id: agent.id,
  name: agent.name,
  description: agent.description,
  metadata: agent.metadata,
  version: agent.version,
  config: snakeCaseKeys(agent.config),
  created_at: agent.createdAt,
  updated_at: agent.updatedAt,
});

const versionJson = (version: AgentVersion) => ({
  agent_id: version.agentId,
  version: version.version,
  config: snakeCaseKeys(version.config),
  created_by: version.createdBy,
  created_at: version.createdAt,
});

function snakeCaseKeys(value: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
      inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? snakeCaseKeys(inner) : inner,
    ]),
  );
}

/** `--config '{"system_prompt": "…"}'`: a JSON object of config fields (snake_case, as over HTTP). */
function parseConfig(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError('--config must be a JSON object, e.g. --config \'{"system_prompt":"Be brief."}\'');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError('--config must be a JSON object');
  }
  return camelCaseKeys(parsed as Record<string, unknown>);
}

function agentService(storage: Storage, config: Config) {
  // The same tools the server accepts: the built-ins (search_history included) and the platform MCP servers'.
  const registry = createToolRegistry({
    searchHistory: (tenantId, search) => storage.searchMessages(tenantId, search),
  });
  const catalog = toolCatalog(config.platformMcpServers ?? [], () => registry.names());
  const configs = createConfigService({ storage, tenants: createTenantDirectory({ storage }), ...catalog });
  return createAgentService({ storage, configs, ids: createIds(), ...catalog });
}

/** `enclave agents list|create|show|update|versions|restore|delete --tenant T`: a tenant's agents. */
export async function agentsCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, action, agentIdArg, versionArg] = args.positionals;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) throw new UsageError(USAGE);
  const tenantId = tenantIdArg(args.options.tenant, `agents ${action} --tenant`);
  const agentId = () => requiredArg(agentIdArg, `agents ${action} needs an agent id`);
  if (action === 'delete' && !args.flags.has('--yes')) {
    throw new UsageError('agents delete removes the agent and its versions: add --yes');
  }
  const labels = {
    ...(args.options.name !== undefined ? { name: args.options.name } : {}),
    ...(args.options.description !== undefined ? { description: args.options.description } : {}),
  };
  const configPatch = parseConfig(args.options.config);

  await withStorage(config, async ({ storage }) => {
    await requireTenant(storage, tenantId);
    const agents = agentService(storage, config);
    switch (action) {
      case 'list': {
        const all: Agent[] = [];
        for (;;) {
          const page = await agents.list(tenantId, { limit: 1000, afterId: all.at(-1)?.id ?? null });
          all.push(...page);
          if (page.length < 1000) break;
        }
        out.table(
          all.map((agent) => ({
            id: agent.id,
            name: agent.name,
            version: agent.version,
            model: `${agent.config.model.provider}:${agent.config.model.id}`,
          })),
        );
        out.json({ data: all.map(agentJson) });
        return;
      }
      case 'create': {
        const created = await agents.create(
          tenantId,
          { ...(agentIdArg ? { id: agentIdArg } : {}), ...labels, ...(configPatch ? { config: configPatch } : {}) },
          'cli',
        );
        await auditCli(storage, { tenantId, action: 'agent.create', target: `agent:${created.id}:${created.version}` });
        out.line(`Created agent ${created.id} (version ${created.version}) for tenant ${tenantId}`);
        out.json(agentJson(created));
        return;
      }
      case 'show': {
        const agent = await agents.get(tenantId, agentId());
        out.line(JSON.stringify(agentJson(agent), null, 2));
        out.json(agentJson(agent));
        return;
      }
      case 'update': {
        const updated = await agents.update(
          tenantId,
          agentId(),
          { ...labels, ...(configPatch ? { config: configPatch } : {}) },
          'cli',
        );
        await auditCli(storage, { tenantId, action: 'agent.update', target: `agent:${updated.id}:${updated.version}` });
        out.line(`Agent ${updated.id} is at version ${updated.version}`);
        out.json(agentJson(updated));
        return;
      }
      case 'versions': {
        const versions = await agents.versions(tenantId, agentId(), { limit: 1000, beforeVersion: null });
        out.table(
          versions.map((version) => ({
            version: version.version,
            created_by: version.createdBy,
            created_at: version.createdAt,
          })),
        );
        out.json({ data: versions.map(versionJson) });
        return;
      }
      case 'restore': {
        const version = Number(requiredArg(versionArg, 'agents restore needs a version: restore <id> <version>'));
        if (!Number.isSafeInteger(version) || version < 0)
          throw new UsageError('agents restore: the version must be a whole number');
        const restored = await agents.restore(tenantId, agentId(), version, 'cli');
        await auditCli(storage, {
          tenantId,
          action: 'agent.restore',
          target: `agent:${restored.id}:${restored.version}`,
          details: { from_version: version },
        });
        out.line(`Agent ${restored.id} restored version ${version} as version ${restored.version}`);
        out.json(agentJson(restored));
        return;
      }
      default: {
        const cascade = args.flags.has('--cascade');
        const id = agentId();
        const { turnIds } = await agents.remove(tenantId, id, { cascade });
        await auditCli(storage, {
          tenantId,
          action: 'agent.delete',
          target: `agent:${id}`,
          details: { cascade, turns: turnIds.length },
        });
        out.line(
          `Deleted agent ${id} of tenant ${tenantId}${cascade ? ` and its sessions (${turnIds.length} turns)` : ''}`,
        );
        out.json({ id, deleted: true, cascade });
      }
    }
  });
}
