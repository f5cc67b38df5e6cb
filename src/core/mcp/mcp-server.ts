import { z } from 'zod';
import { SECRET_NAME_PATTERN } from '../secrets/secret-service.ts';

/**
 * A server name: the namespace of its tools (`github__create_issue`), so it is short, lowercase and
 * never holds `_` (the `__` separator stays unambiguous). Unique per tenant.
 */
export const MCP_SERVER_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** A tool's name as a model provider accepts it; MCP tools with any other name are not offered. */
export const MCP_TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `{{secret:NAME}}`: a tenant secret, resolved at connect time and never stored in the record. */
export const SECRET_REFERENCE = /\{\{secret:([^}]*)\}\}/g;

/** `{{user_credential}}`: the end user's own credential of a per-user server. */
export const USER_CREDENTIAL_REFERENCE = '{{user_credential}}';

/** Most headers a server's auth may set. */
const MAX_HEADERS = 16;

/** Header names the transport owns (or that would let a tenant smuggle framing). */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
]);

const headerTemplate = z
  .string()
  .max(1_000)
  .refine((value) => !/[\r\n\0]/.test(value), 'must not contain line breaks')
  .superRefine((value, context) => {
    for (const match of value.matchAll(SECRET_REFERENCE)) {
      if (!SECRET_NAME_PATTERN.test(match[1] ?? '')) {
        context.addIssue({ code: 'custom', message: `'${match[1]}' is not a secret name` });
      }
    }
  });

/**
 * How Enclave authenticates to the server. Header values are templates: `{{secret:NAME}}` names a
 * tenant secret and `{{user_credential}}` the end user's credential (per-user servers), both filled
 * in per call; a template without either is a plain value (not secret: it is echoed).
 */
export const mcpAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('headers'),
      headers: z
        .record(
          z
            .string()
            .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name')
            .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'is set by the transport'),
          headerTemplate,
        )
        .refine((headers) => Object.keys(headers).length <= MAX_HEADERS, `at most ${MAX_HEADERS} headers`),
    })
    .strict(),
  z
    .object({
      type: z.literal('oauth'),
      grant: z.enum(['client_credentials', 'authorization_code']),
      clientId: z.string().min(1).max(200).nullable().default(null),
      clientSecretName: z.string().regex(SECRET_NAME_PATTERN).nullable().default(null),
      scope: z.string().min(1).max(1_000).nullable().default(null),
    })
    .strict(),
]);

export type McpAuth = z.infer<typeof mcpAuthSchema>;

export const MCP_TRANSPORTS = ['streamable-http', 'sse'] as const;
export type McpTransportKind = (typeof MCP_TRANSPORTS)[number];

/** Longest call timeout a server may set (ms); the tool loop's TOOL_TIMEOUT_MS still applies. */
export const MAX_MCP_CALL_TIMEOUT_MS = 600_000;

const fields = {
  name: z.string().regex(MCP_SERVER_NAME_PATTERN, 'lowercase letters, digits and -, starting with a letter'),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2_000)
    .refine((url) => !new URL(url).username && !new URL(url).password, 'must not hold credentials'),
  transport: z.enum(MCP_TRANSPORTS),
  auth: mcpAuthSchema,
  /** The server's tools Enclave may offer at all; null offers every tool it lists. */
  tools: z.array(z.string().regex(MCP_TOOL_NAME_PATTERN)).max(256).nullable(),
  /** Longest one tool call may run (ms); null leaves it to TOOL_TIMEOUT_MS. */
  callTimeoutMs: z.number().int().min(100).max(MAX_MCP_CALL_TIMEOUT_MS).nullable(),
  /** Each end user brings their own credential (`{{user_credential}}`); a turn uses only its user's. */
  perUserCredentials: z.boolean(),
};

export const newMcpServerSchema = z
  .object({
    ...fields,
    transport: fields.transport.default('streamable-http'),
    auth: fields.auth.default({ type: 'none' }),
    tools: fields.tools.default(null),
    callTimeoutMs: fields.callTimeoutMs.default(null),
    perUserCredentials: fields.perUserCredentials.default(false),
  })
  .strict();

export const mcpServerPatchSchema = z.object(fields).partial().strict();

export type McpServerInput = z.infer<typeof newMcpServerSchema>;
export type McpServerPatch = z.infer<typeof mcpServerPatchSchema>;

export interface McpServer extends McpServerInput {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** The secret names a server's header templates reference. */
export function referencedSecrets(auth: McpAuth): string[] {
  if (auth.type !== 'headers') return [];
  const names = new Set<string>();
  for (const value of Object.values(auth.headers)) {
    for (const match of value.matchAll(SECRET_REFERENCE)) names.add(match[1] ?? '');
  }
  return [...names];
}

/** Whether the header templates use the end user's credential. */
export function usesUserCredential(auth: McpAuth): boolean {
  return (
    auth.type === 'headers' && Object.values(auth.headers).some((value) => value.includes(USER_CREDENTIAL_REFERENCE))
  );
}

/** One tool of a server, as a tenant (or one end user) sees it listed. */
export interface McpToolInfo {
  name: string;
  description: string | null;
  inputSchema: Record<string, unknown>;
}

/** What the HTTP routes need of the MCP client: a server's tools, listed live (briefly cached). */
export type ListMcpTools = (
  tenantId: string,
  server: McpServer,
  userId: string | null,
  signal?: AbortSignal,
) => Promise<McpToolInfo[]>;
