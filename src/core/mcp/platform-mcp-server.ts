import type { McpToolInfo } from './mcp-server.ts';

/**
 * One of the operator's platform MCP servers (`ENCLAVE_PLATFORM_MCP_SERVERS`, docs/tools.md), its
 * `{ "env": NAME }` values already read: a process started over stdio, or an HTTP endpoint.
 */
export type PlatformMcpServer = {
  name: string;
  description?: string | undefined;
  /** The only tools tenants may enable; absent, every tool the server lists. */
  tools?: string[] | undefined;
  timeout_ms?: number | undefined;
} & (
  | { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string | undefined }
  | { transport: 'streamable-http' | 'sse'; url: string; headers: Record<string, string> }
);

/** A platform server as tenants see it: never its command, URL, headers or environment. */
export interface PlatformMcpServerInfo {
  name: string;
  description: string | null;
  transport: PlatformMcpServer['transport'];
  tools: string[] | null;
}

/** The platform servers for the API: what is declared, and a server's tools, listed live. */
export interface PlatformMcpCatalog {
  list(): PlatformMcpServerInfo[];
  /** MCP_SERVER_NOT_FOUND for a name no server has. */
  listTools(name: string, signal?: AbortSignal): Promise<McpToolInfo[]>;
}
