import type { Config } from '../../config/config-schema.ts';
import { requiredArg } from '../cli-args.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { UsageError } from '../usage-error.ts';

const USAGE = 'platform-mcp-servers needs one of: list, tools <name>';

/**
 * `enclave platform-mcp-servers list|tools <name>`: the operator's platform MCP servers as this
 * configuration declares them (ENCLAVE_PLATFORM_MCP_SERVERS), and a server's tools, listed live
 * (a stdio server is started for the listing and stopped after it).
 */
export async function platformMcpServersCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, action, name] = args.positionals;
  const servers = config.platformMcpServers ?? [];
  if (action === 'list') {
    out.table(
      servers.map((server) => ({
        name: server.name,
        transport: server.transport,
        tools: server.tools?.join(',') ?? '*',
        description: server.description ?? '',
      })),
    );
    out.json({
      data: servers.map((server) => ({
        object: 'platform_mcp_server',
        name: server.name,
        description: server.description ?? null,
        transport: server.transport,
        tools: server.tools ?? null,
      })),
    });
    return;
  }
  if (action !== 'tools') throw new UsageError(USAGE);
  const serverName = requiredArg(name, 'platform-mcp-servers tools needs a server name');
  if (!servers.some((server) => server.name === serverName)) {
    throw new UsageError(
      `No platform MCP server '${serverName}' is declared (ENCLAVE_PLATFORM_MCP_SERVERS names: ${servers.map((server) => server.name).join(', ') || 'none'})`,
    );
  }
  const { createPlatformMcp } = await import('../../tools/mcp/platform/platform-mcp-servers.ts');
  const platform = createPlatformMcp({
    servers,
    limits: { timeoutMs: config.toolTimeoutMs, outputMaxChars: config.toolOutputMaxChars },
  });
  try {
    const tools = await platform.listTools(serverName);
    out.table(
      tools.map((tool) => ({ model_name: `${serverName}__${tool.name}`, description: tool.description ?? '' })),
    );
    out.json({
      data: tools.map((tool) => ({
        name: tool.name,
        model_name: `${serverName}__${tool.name}`,
        description: tool.description,
        input_schema: tool.inputSchema,
      })),
    });
  } finally {
    await platform.close();
  }
}
