import { z } from 'zod';
import { parseJsonList } from './json-list.ts';

/** As a tenant's MCP server name (src/core/mcp/mcp-server.ts): lowercase, no `_`, so `__` stays the separator. */
const SERVER_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** A tool name a model provider accepts. */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
/** A value written inline, or `{ "env": NAME }`: read from Enclave's own environment once at start. */
const valueSchema = z.union([
  z
    .string()
    .max(4_096)
    .refine((value) => !/[\r\n\0]/.test(value), 'must not contain line breaks'),
  z.object({ env: envName }).strict(),
]);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

const common = {
  /** The namespace of its tools, as tenants enable them: `<name>__<tool>` (or `<name>__*`). */
  name: z.string().regex(SERVER_NAME, 'must match ^[a-z][a-z0-9-]{0,31}$'),
  /** Shown to tenants beside the name. */
  description: z.string().max(500).optional(),
  /** The only tools tenants may enable; absent, every tool the server lists. */
  tools: z.array(z.string().regex(TOOL_NAME, 'must be a tool name')).max(256).optional(),
  /** Longest one tool call may take (ms); never longer than TOOL_TIMEOUT_MS. */
  timeout_ms: z.number().int().positive().max(600_000).optional(),
};

/**
 * One operator-declared MCP server (`ENCLAVE_PLATFORM_MCP_SERVERS`, docs/tools.md): a process
 * Enclave starts itself and talks to over stdio, or a Streamable HTTP (or legacy SSE) endpoint.
 * Only the operator writes these; tenants can never start processes or choose these addresses.
 */
const platformMcpServerSchema = z.discriminatedUnion('transport', [
  z
    .object({
      ...common,
      transport: z.literal('stdio'),
      command: z.string().min(1).max(1_000),
      args: z.array(z.string().max(4_096)).max(64).default([]),
      /** The process's environment beyond the safe defaults (PATH, HOME, …): Enclave's own is not passed. */
      env: z.record(envName, valueSchema).default({}),
      cwd: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      transport: z.enum(['streamable-http', 'sse']),
      url: z.url({ protocol: /^https?$/ }),
      headers: z.record(z.string().regex(HEADER_NAME, 'must be a header name'), valueSchema).default({}),
    })
    .strict(),
]);

const platformMcpListSchema = z
  .array(platformMcpServerSchema)
  .max(32)
  .superRefine((servers, context) => {
    const seen = new Set<string>();
    for (const [index, server] of servers.entries()) {
      if (seen.has(server.name)) context.addIssue({ code: 'custom', path: [index, 'name'], message: 'is a duplicate' });
      seen.add(server.name);
    }
  });

export type PlatformMcpServerDefinition = z.infer<typeof platformMcpServerSchema>;
type ValueOf = z.infer<typeof valueSchema>;

/** A declared server with every `{ "env": NAME }` read: what the runtime uses. */
export type PlatformMcpServer =
  | (Omit<Extract<PlatformMcpServerDefinition, { transport: 'stdio' }>, 'env'> & { env: Record<string, string> })
  | (Omit<Extract<PlatformMcpServerDefinition, { transport: 'streamable-http' | 'sse' }>, 'headers'> & {
      headers: Record<string, string>;
    });

/** `ENCLAVE_PLATFORM_MCP_SERVERS`: a JSON array of server declarations. */
export const platformMcpServersSchema = z
  .string()
  .transform((text, context) => parseJsonList(text, context, platformMcpListSchema, 'MCP servers'));

/**
 * Reads every `{ "env": NAME }` of the declarations from `env`. Returns the servers, or the
 * problems (a named variable that is unset); values never appear in a message.
 */
export function resolvePlatformMcpServers(
  definitions: readonly PlatformMcpServerDefinition[],
  env: Record<string, string | undefined>,
): { servers: PlatformMcpServer[]; problems: string[] } {
  const problems: string[] = [];
  const resolve = (server: string, values: Record<string, ValueOf>) => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === 'string') {
        out[key] = value;
        continue;
      }
      const found = env[value.env];
      if (found === undefined || found === '') problems.push(`platform MCP server ${server}: ${value.env} is not set`);
      else if (/[\r\n\0]/.test(found)) problems.push(`platform MCP server ${server}: ${value.env} holds a line break`);
      else out[key] = found;
    }
    return out;
  };
  const servers = definitions.map((definition): PlatformMcpServer => {
    if (definition.transport === 'stdio') return { ...definition, env: resolve(definition.name, definition.env) };
    return { ...definition, headers: resolve(definition.name, definition.headers) };
  });
  return { servers, problems };
}
