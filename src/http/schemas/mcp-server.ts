import { z } from 'zod';
import type { McpServer, McpToolInfo } from '../../core/mcp/mcp-server.ts';

/** MCP server ids in paths (`mcp_…`; any other well-formed id answers 404 like a foreign one). */
export const mcpServerIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an MCP server id');

const authJson = z
  .union([
    z.object({ type: z.literal('none') }).strict(),
    z.object({ type: z.literal('headers'), headers: z.record(z.string(), z.string()) }).strict(),
    z
      .object({
        type: z.literal('oauth'),
        grant: z.enum(['client_credentials', 'authorization_code']),
        client_id: z.string().nullable().optional(),
        client_secret_name: z.string().nullable().optional(),
        scope: z.string().nullable().optional(),
      })
      .strict(),
  ])
  .meta({
    id: 'McpServerAuth',
    description:
      'none; headers whose values are templates: {{secret:NAME}} (a tenant secret) and {{user_credential}} (the end user’s credential, per-user servers) are filled in per call and never stored or echoed; or oauth (docs/tools-oauth.md).',
  });

const fields = {
  name: z.string().meta({ description: 'Tool namespace: ^[a-z][a-z0-9-]{0,31}$, unique in the tenant' }),
  url: z.string(),
  transport: z.enum(['streamable-http', 'sse']),
  auth: authJson,
  tools: z.array(z.string()).nullable().meta({ description: 'Tools Enclave may offer; null: every listed tool' }),
  call_timeout_ms: z.number().int().nullable(),
  per_user_credentials: z.boolean(),
};

/** A new server: name and url required; checked in full by the MCP server service. */
export const newMcpServerBodySchema = z
  .object(fields)
  .partial()
  .required({ name: true, url: true })
  .strict()
  .meta({ id: 'NewMcpServer' });

export const mcpServerPatchBodySchema = z.object(fields).partial().strict().meta({ id: 'McpServerPatch' });

export const mcpServerSchema = z
  .object({
    id: z.string(),
    object: z.literal('mcp_server'),
    ...fields,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'McpServer' });

export const mcpToolSchema = z
  .object({
    name: z.string().meta({ description: 'The tool’s name on the server' }),
    model_name: z.string().meta({ description: 'The name the model sees: server__tool' }),
    description: z.string().nullable(),
    input_schema: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'McpTool' });

type AuthJson = z.infer<typeof authJson>;

/** Snake-case body fields to the record's camelCase ones (values checked by the service). */
export function fromMcpServerBody(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'call_timeout_ms') out.callTimeoutMs = value;
    else if (key === 'per_user_credentials') out.perUserCredentials = value;
    else if (key === 'auth' && value && typeof value === 'object' && (value as AuthJson).type === 'oauth') {
      const auth = value as Extract<AuthJson, { type: 'oauth' }>;
      out.auth = {
        type: 'oauth',
        grant: auth.grant,
        ...(auth.client_id !== undefined ? { clientId: auth.client_id } : {}),
        ...(auth.client_secret_name !== undefined ? { clientSecretName: auth.client_secret_name } : {}),
        ...(auth.scope !== undefined ? { scope: auth.scope } : {}),
      };
    } else out[key] = value;
  }
  return out;
}

function toAuthJson(auth: McpServer['auth']): AuthJson {
  if (auth.type === 'oauth') {
    return {
      type: 'oauth',
      grant: auth.grant,
      client_id: auth.clientId,
      client_secret_name: auth.clientSecretName,
      scope: auth.scope,
    };
  }
  // Header templates hold secret references, never values: they are shown as stored.
  return auth.type === 'headers' ? { type: 'headers', headers: { ...auth.headers } } : { type: 'none' };
}

export const toMcpServerJson = (server: McpServer): z.infer<typeof mcpServerSchema> => ({
  id: server.id,
  object: 'mcp_server',
  name: server.name,
  url: server.url,
  transport: server.transport,
  auth: toAuthJson(server.auth),
  tools: server.tools,
  call_timeout_ms: server.callTimeoutMs,
  per_user_credentials: server.perUserCredentials,
  created_at: server.createdAt,
  updated_at: server.updatedAt,
});

export const toMcpToolJson = (server: Pick<McpServer, 'name'>, tool: McpToolInfo): z.infer<typeof mcpToolSchema> => ({
  name: tool.name,
  model_name: `${server.name}__${tool.name}`,
  description: tool.description,
  input_schema: tool.inputSchema,
});
