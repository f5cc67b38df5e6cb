import type { Config } from '../../config/config-schema.ts';
import { isUserId } from '../../core/auth/user-id.ts';
import { createIds } from '../../core/ids.ts';
import { createMcpServerService } from '../../core/mcp/mcp-server-service.ts';
import { createSecretService } from '../../core/secrets/secret-service.ts';
import { fromMcpServerBody, toMcpServerJson } from '../../http/schemas/mcp-server.ts';
import { requiredArg, tenantIdArg } from '../cli-args.ts';
import { auditCli, requireTenant, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { UsageError } from '../usage-error.ts';

const OAUTH_ACTIONS = ['oauth-authorize', 'oauth-status', 'oauth-revoke'] as const;
const ACTIONS = ['list', 'create', 'show', 'update', 'delete', ...OAUTH_ACTIONS] as const;
const USAGE =
  'mcp-servers needs one of: list, create --config JSON, show <id>, update <id> --config JSON, delete <id> --yes, oauth-authorize|oauth-status|oauth-revoke <id> [--user <id>]; each with --tenant <id>';

const isOAuthAction = (action: string): action is (typeof OAUTH_ACTIONS)[number] =>
  OAUTH_ACTIONS.includes(action as (typeof OAUTH_ACTIONS)[number]);

/** `--user U`: the end user whose grant an OAuth action is about (a per-user server needs one). */
function userArg(value: string | undefined, action: string): string | null {
  if (value === undefined) return null;
  if (!isUserId(value)) throw new UsageError(`mcp-servers ${action} --user needs a valid user id`);
  return value;
}

/** `--config '{"name":"github","url":"https://…"}'`: the record's fields, snake_case as over HTTP. */
function parseServer(value: string | undefined, action: string): Record<string, unknown> {
  if (value === undefined) throw new UsageError(`mcp-servers ${action} needs --config JSON`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError('--config must be a JSON object, e.g. --config \'{"name":"github","url":"https://…"}\'');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError('--config must be a JSON object');
  }
  return fromMcpServerBody(parsed as Record<string, unknown>);
}

/**
 * `enclave mcp-servers list|create|show|update|delete --tenant T`: a tenant's MCP servers
 * (docs/tools.md); `oauth-authorize|oauth-status|oauth-revoke <id> --tenant T [--user U]`: their
 * OAuth grants (docs/tools-oauth.md).
 */
export async function mcpServersCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, actionArg = '', idArg] = args.positionals;
  if (!ACTIONS.includes(actionArg as (typeof ACTIONS)[number])) throw new UsageError(USAGE);
  const action = actionArg as (typeof ACTIONS)[number];
  const tenantId = tenantIdArg(args.options.tenant, `mcp-servers ${action} --tenant`);
  const id = () => requiredArg(idArg, `mcp-servers ${action} needs a server id`);
  if (action === 'delete' && !args.flags.has('--yes')) {
    throw new UsageError('mcp-servers delete removes the server and its users’ credentials: add --yes');
  }
  const userId = userArg(args.options.user, action);
  const serverId = isOAuthAction(action) ? id() : null;
  await withStorage(config, async (opened) => {
    const { storage, mcpServers: store } = opened;
    await requireTenant(storage, tenantId);
    if (isOAuthAction(action) && serverId !== null) {
      // Loaded only here: the OAuth code brings the MCP SDK and the outbound client.
      const { mcpServerOAuth } = await import('./mcp-servers-oauth.ts');
      await mcpServerOAuth(config, opened, out, { action, tenantId, serverId, userId });
      return;
    }
    const servers = createMcpServerService({
      store,
      secrets: createSecretService({
        storage,
        masterKey: config.masterKey ? Buffer.from(config.masterKey, 'base64') : null,
      }),
      ids: createIds(),
      now: () => new Date(),
    });
    switch (action) {
      case 'list': {
        const all = await servers.list(tenantId);
        out.table(all.map((server) => ({ id: server.id, name: server.name, url: server.url, auth: server.auth.type })));
        out.json({ data: all.map(toMcpServerJson) });
        return;
      }
      case 'create': {
        const created = await servers.create(tenantId, parseServer(args.options.config, action));
        await auditCli(storage, { tenantId, action: 'mcp_server.create', target: `mcp_server:${created.id}` });
        out.line(`Created MCP server ${created.id} (${created.name}) for tenant ${tenantId}`);
        out.json(toMcpServerJson(created));
        return;
      }
      case 'show': {
        const server = await servers.get(tenantId, id());
        out.line(JSON.stringify(toMcpServerJson(server), null, 2));
        out.json(toMcpServerJson(server));
        return;
      }
      case 'update': {
        const updated = await servers.update(tenantId, id(), parseServer(args.options.config, action));
        await auditCli(storage, { tenantId, action: 'mcp_server.update', target: `mcp_server:${updated.id}` });
        out.line(`Updated MCP server ${updated.id} (${updated.name})`);
        out.json(toMcpServerJson(updated));
        return;
      }
      default: {
        await servers.delete(tenantId, id());
        await auditCli(storage, { tenantId, action: 'mcp_server.delete', target: `mcp_server:${id()}` });
        out.line(`Deleted MCP server ${id()}`);
        out.json({ id: id(), deleted: true });
      }
    }
  });
}
