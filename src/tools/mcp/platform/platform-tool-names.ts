import { MCP_TOOL_NAME_PATTERN } from '../../../core/mcp/mcp-server.ts';
import type { PlatformMcpServer } from '../../../core/mcp/platform-mcp-server.ts';

/** Between a platform server's name and its tool's, as for a tenant's servers: `files__read_file`. */
export const PLATFORM_TOOL_SEPARATOR = '__';

/**
 * The tool names a config may enable from the operator's platform MCP servers: `<server>__*` (all
 * its tools) always, and `<server>__<tool>` for each tool of its allowlist. A server without an
 * allowlist accepts any well-formed `<server>__<tool>` (its tools are only known once it runs):
 * `matchesToolName` answers those.
 */
export function platformToolNames(servers: readonly PlatformMcpServer[]): string[] {
  return servers.flatMap((server) => [
    `${server.name}${PLATFORM_TOOL_SEPARATOR}*`,
    ...(server.tools ?? []).map((tool) => `${server.name}${PLATFORM_TOOL_SEPARATOR}${tool}`),
  ]);
}

/** Splits `files__read_file` into its server and tool (`*` for all), or null when it names no platform server. */
export function parsePlatformToolName(
  servers: readonly PlatformMcpServer[],
  name: string,
): { server: PlatformMcpServer; tool: string } | null {
  const at = name.indexOf(PLATFORM_TOOL_SEPARATOR);
  if (at <= 0) return null;
  const server = servers.find((candidate) => candidate.name === name.slice(0, at));
  const tool = name.slice(at + PLATFORM_TOOL_SEPARATOR.length);
  if (!server || (tool !== '*' && !MCP_TOOL_NAME_PATTERN.test(tool))) return null;
  if (tool !== '*' && server.tools && !server.tools.includes(tool)) return null;
  return { server, tool };
}

/**
 * What a config may name in `tools`, for the services that check it (UNKNOWN_TOOL otherwise): the
 * registry's tools, the platform servers' tool names, and any tool of a server without an allowlist.
 */
export function toolCatalog(servers: readonly PlatformMcpServer[], registryNames: () => readonly string[]) {
  return {
    toolNames: () => [...registryNames(), ...platformToolNames(servers)],
    acceptsTool: (name: string) => parsePlatformToolName(servers, name) !== null,
  };
}
