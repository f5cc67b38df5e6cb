import type { Client } from '@modelcontextprotocol/client';
import type { ToolSet } from 'ai';
import { AppError } from '../../../core/errors.ts';
import { MCP_TOOL_NAME_PATTERN, type McpToolInfo } from '../../../core/mcp/mcp-server.ts';
import type { PlatformMcpServer } from '../../../core/mcp/platform-mcp-server.ts';
import { limitTool, type ToolLimits } from '../../limit-tool.ts';
import { listAllTools } from '../list-all-tools.ts';
import { type McpCallResult, mcpAiTool } from '../mcp-ai-tool.ts';
import { mcpFailure, withMcpSession } from '../mcp-session.ts';
import { PLATFORM_TOOL_SEPARATOR, parsePlatformToolName } from './platform-tool-names.ts';

export interface PlatformMcpDeps {
  servers: readonly PlatformMcpServer[];
  /** The tool loop's limits; a server's `timeout_ms` can only be shorter. */
  limits: ToolLimits;
  /** Longest a start (stdio) or a tool listing may take (ms); default 30 s (npx may download first). */
  listTimeoutMs?: number;
  /** How long a listed tool set is reused (ms); default 60 s. A stdio server's ends with its process. */
  cacheTtlMs?: number;
  now?: () => number;
  log?: { warn(details: Record<string, unknown>, message: string): void };
}

const CLIENT_INFO = { name: 'enclave', version: '1' };
/** The last characters of a stdio server's stderr, kept for the log when it exits. */
const STDERR_TAIL = 2_000;

/**
 * The operator's platform MCP servers (`ENCLAVE_PLATFORM_MCP_SERVERS`, docs/tools.md), which
 * tenants enable like built-in tools: `<server>__<tool>`, or `<server>__*` for all of them.
 *
 * A stdio server is one process, started on first use and shared by every tenant (calls are
 * multiplexed over its one JSON-RPC connection); if it exits, the next use starts it again. Its
 * environment holds the SDK's safe defaults (PATH, HOME, …) and the operator's `env`, never
 * Enclave's own. An HTTP server gets a session per call, like a tenant's server, but with the
 * operator's headers and without the tenant SSRF guard: the operator chose the address.
 *
 * No tenant identity is sent: declare only servers that keep nothing between calls, or whose data
 * every tenant may see.
 */
export function createPlatformMcp(deps: PlatformMcpDeps) {
  const now = deps.now ?? Date.now;
  const listTimeoutMs = deps.listTimeoutMs ?? 30_000;
  const cacheTtlMs = deps.cacheTtlMs ?? 60_000;
  const byName = new Map(deps.servers.map((server) => [server.name, server]));
  const connections = new Map<string, Promise<Client>>();
  const listed = new Map<string, { expires: number; tools: McpToolInfo[] }>();
  const listing = new Map<string, Promise<McpToolInfo[]>>();
  let closed = false;

  function stdioClient(server: Extract<PlatformMcpServer, { transport: 'stdio' }>): Promise<Client> {
    const running = connections.get(server.name);
    if (running) return running;
    const starting = (async () => {
      const [{ Client: McpClient }, { StdioClientTransport, getDefaultEnvironment }] = await Promise.all([
        import('@modelcontextprotocol/client'),
        import('@modelcontextprotocol/client/stdio'),
      ]);
      const transport = new StdioClientTransport({
        command: server.command,
        args: server.args,
        env: { ...getDefaultEnvironment(), ...server.env },
        ...(server.cwd ? { cwd: server.cwd } : {}),
        stderr: 'pipe',
      });
      // Read (so a chatty server never blocks on a full pipe), keep the tail for the log.
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
      });
      const client = new McpClient(CLIENT_INFO, { capabilities: {} });
      client.onclose = () => {
        if (connections.get(server.name) === starting) connections.delete(server.name);
        listed.delete(server.name);
        if (!closed)
          deps.log?.warn({ server: server.name, stderr }, 'platform MCP server exited; the next call starts it again');
      };
      await client.connect(transport, { timeout: listTimeoutMs });
      return client;
    })();
    connections.set(server.name, starting);
    starting.catch(() => {
      if (connections.get(server.name) === starting) connections.delete(server.name);
    });
    return starting;
  }

  /** Runs `work` against the server: its shared stdio client, or a fresh HTTP session. */
  async function withServer<T>(
    server: PlatformMcpServer,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    work: (client: Client, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    if (closed) throw new AppError('MCP_SERVER_UNAVAILABLE', `Platform MCP server '${server.name}' is shut down`);
    if (server.transport !== 'stdio') {
      const endpoint = { name: server.name, url: server.url, transport: server.transport, headers: server.headers };
      return withMcpSession(endpoint, { fetch: globalThis.fetch, timeoutMs, signal }, work);
    }
    try {
      return await work(await stdioClient(server), signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw mcpFailure(server.name, error, false);
    }
  }

  async function listFresh(server: PlatformMcpServer, signal?: AbortSignal): Promise<McpToolInfo[]> {
    const tools = await withServer(server, listTimeoutMs, signal, (client, callSignal) =>
      listAllTools(client, callSignal, listTimeoutMs),
    );
    return tools.filter(
      (item) => MCP_TOOL_NAME_PATTERN.test(item.name) && (!server.tools || server.tools.includes(item.name)),
    );
  }

  /** The server's tools (within the operator's allowlist), listed live and reused for a while. */
  async function listTools(name: string, signal?: AbortSignal): Promise<McpToolInfo[]> {
    const server = byName.get(name);
    if (!server) throw new AppError('MCP_SERVER_NOT_FOUND');
    const cached = listed.get(name);
    if (cached && cached.expires > now()) return cached.tools;
    // Single-flight: a burst of turns lists (and starts) a server once.
    let pending = listing.get(name);
    if (!pending) {
      pending = listFresh(server).finally(() => listing.delete(name));
      listing.set(name, pending);
      pending.then((tools) => listed.set(name, { expires: now() + cacheTtlMs, tools })).catch(() => {});
    }
    if (!signal) return pending;
    return Promise.race([
      pending,
      new Promise<never>((_resolve, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  }

  function toolOf(server: PlatformMcpServer, info: McpToolInfo) {
    const timeoutMs = Math.min(server.timeout_ms ?? deps.limits.timeoutMs, deps.limits.timeoutMs);
    return mcpAiTool(
      info,
      (input, signal) =>
        withServer(server, timeoutMs, signal, (client, callSignal) =>
          client.callTool(
            { name: info.name, arguments: input },
            { ...(callSignal ? { signal: callSignal } : {}), timeout: timeoutMs },
          ),
        ) as Promise<McpCallResult>,
    );
  }

  return {
    /** The declared servers, as tenants see them (no command, URL, headers or environment). */
    list: () =>
      deps.servers.map((server) => ({
        name: server.name,
        description: server.description ?? null,
        transport: server.transport,
        tools: server.tools ?? null,
      })),

    listTools,

    /**
     * The platform tools among a config's tool names (`files__read_file`, `files__*`), for one
     * turn. Names of no platform server are left to the other sources; a server that cannot be
     * listed fails the turn (nothing is stored yet), as a tenant's server does.
     */
    async toolSet(names: readonly string[], signal?: AbortSignal): Promise<ToolSet> {
      const wanted = new Map<PlatformMcpServer, Set<string>>();
      for (const name of names) {
        const parsed = parsePlatformToolName(deps.servers, name);
        if (!parsed) continue;
        const tools = wanted.get(parsed.server) ?? new Set<string>();
        tools.add(parsed.tool);
        wanted.set(parsed.server, tools);
      }
      const tools: ToolSet = {};
      for (const [server, chosen] of wanted) {
        for (const info of await listTools(server.name, signal)) {
          if (!chosen.has('*') && !chosen.has(info.name)) continue;
          const name = `${server.name}${PLATFORM_TOOL_SEPARATOR}${info.name}`;
          if (name.length > 64) continue;
          tools[name] = limitTool(name, toolOf(server, info), deps.limits);
        }
      }
      return tools;
    },

    /** Stops every stdio server this process started. */
    async close(): Promise<void> {
      closed = true;
      const running = [...connections.values()];
      connections.clear();
      await Promise.all(
        running.map(async (starting) => {
          const client = await starting.catch(() => null);
          await client?.close().catch(() => {});
        }),
      );
    },
  };
}

export type PlatformMcp = ReturnType<typeof createPlatformMcp>;
