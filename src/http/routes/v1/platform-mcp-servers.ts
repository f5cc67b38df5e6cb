import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import { MCP_SERVER_NAME_PATTERN } from '../../../core/mcp/mcp-server.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { mcpToolSchema, toMcpToolJson } from '../../schemas/mcp-server.ts';
import { problems } from '../../schemas/problem.ts';

const platformServerSchema = z
  .object({
    object: z.literal('platform_mcp_server'),
    name: z.string().meta({ description: 'The namespace of its tools: enable `<name>__<tool>` or `<name>__*`' }),
    description: z.string().nullable(),
    transport: z.enum(['stdio', 'streamable-http', 'sse']),
    tools: z
      .array(z.string())
      .nullable()
      .meta({ description: 'The operator’s allowlist of its tools; null: every tool the server lists' }),
  })
  .meta({ id: 'PlatformMcpServer' });

/**
 * The operator's platform MCP servers (docs/tools.md), which every tenant may enable like built-in
 * tools: what is declared (never its command, URL, headers or environment) and its tools, live.
 */
export function platformMcpRoutes(services: AppServices): FastifyPluginAsyncZod {
  /** Any authenticated caller: an admin, or a tenant credential with `chat` (a suspended tenant is refused). */
  const authorize = async (request: Parameters<typeof namedTenant>[0]) => {
    if (request.principal.kind === 'tenant') {
      await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
    }
  };
  return async (app) => {
    app.get(
      '/v1/platform-mcp-servers',
      {
        schema: {
          tags: ['mcp-servers'],
          summary: 'The operator’s platform MCP servers, which agents enable like built-in tools',
          response: { 200: z.object({ data: z.array(platformServerSchema) }), ...problems(401, 403) },
        },
      },
      async (request) => {
        await authorize(request);
        const servers = services.platformMcp?.list() ?? [];
        return { data: servers.map((server) => ({ object: 'platform_mcp_server' as const, ...server })) };
      },
    );

    app.get(
      '/v1/platform-mcp-servers/:name/tools',
      {
        schema: {
          tags: ['mcp-servers'],
          summary: 'A platform MCP server’s tools, listed live (starting a stdio server if it is not running)',
          params: z.object({ name: z.string().regex(MCP_SERVER_NAME_PATTERN, 'must be a server name') }),
          response: {
            200: z.object({ data: z.array(mcpToolSchema) }),
            ...problems(401, 403, 404, 502, 504),
          },
        },
      },
      async (request) => {
        await authorize(request);
        const { name } = request.params;
        if (!services.platformMcp) throw new AppError('MCP_SERVER_NOT_FOUND');
        const tools = await services.platformMcp.listTools(name);
        return { data: tools.map((tool) => toMcpToolJson({ name }, tool)) };
      },
    );
  };
}
