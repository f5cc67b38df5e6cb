import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { AuthInfo, McpHttpHandler } from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentService } from '../../core/agent-catalog/agent-service.ts';
import type { Scope } from '../../core/auth/principal.ts';
import { AppError } from '../../core/errors.ts';
import { tenantAccess } from '../access.ts';
import type { AppServices } from '../app-services.ts';
import { namedTenant } from '../plugins/tenant-header.ts';
import { problems } from '../schemas/problem.ts';
import type { McpRequestCaller } from './mcp-handler.ts';

const DESCRIPTION =
  "The Model Context Protocol endpoint (Streamable HTTP, stateless): each of the calling tenant's agents is a tool, and its sessions are resources (`enclave://sessions/{id}`). Speak MCP to it with an MCP client; it serves protocol revision 2026-07-28 and the 2025 revisions (without sessions: GET and DELETE answer 405). Tools need the `chat` scope, resources `history:read`. See docs/mcp-server.md.";

const jsonRpcBody = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .describe('A JSON-RPC 2.0 message (or, on the 2025 revisions, a batch) of the MCP protocol');

/**
 * The scopes the caller holds among those MCP needs (`chat` for tools, `history:read` for
 * resources); a credential with neither is refused with 403 and an RFC 6750 challenge.
 */
function mcpScopes(request: FastifyRequest): { tools: boolean; resources: boolean; scope: Scope } {
  const principal = request.principal;
  if (principal.kind !== 'tenant') return { tools: true, resources: true, scope: 'chat' };
  const tools = principal.scopes.has('chat');
  const resources = principal.scopes.has('history:read');
  if (!tools && !resources) {
    throw new AppError('INSUFFICIENT_SCOPE', 'The MCP endpoint needs the chat or the history:read scope', {
      details: {
        headers: {
          'www-authenticate': 'Bearer realm="enclave", error="insufficient_scope", scope="chat history:read"',
        },
      },
    });
  }
  return { tools, resources, scope: tools ? 'chat' : 'history:read' };
}

/** The web-standard request the MCP handler reads, over the already-parsed Fastify request. */
function toWebRequest(request: FastifyRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const item of [value].flat()) headers.append(name, item);
  }
  const url = new URL(request.url, `http://${request.headers.host ?? 'localhost'}`);
  return new Request(url, { method: request.method, headers, signal });
}

async function sendWebResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'content-length') reply.header(name, value);
  });
  if (!response.body) return reply.send();
  return reply.send(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>));
}

/**
 * `/mcp`: Enclave as an MCP server, built with the official SDK's `createMcpHandler` (one fresh
 * `McpServer` per request, for the credential's tenant). Authentication, rate limits and body
 * limits are the app's own hooks; errors before MCP (401, 403, 413, 415) are problem+json.
 */
export function mcpRoutes(
  services: AppServices,
  agents: AgentService,
  options: { messageMaxChars: number; bodyLimitBytes: number; version: string; hostnames: string[] | null },
): FastifyPluginAsyncZod {
  return async (app) => {
    // Before authentication's answer matters: a rebound browser request is refused whoever it claims to be.
    app.addHook('onRequest', async (request) => {
      const { mcp } = await load();
      mcp.checkMcpHost({ host: request.headers.host, origin: request.headers.origin }, options.hostnames);
    });
    // The SDK (about 35 MB of RSS) loads on the first /mcp request, not at start.
    let loaded: Promise<{ mcp: typeof import('./mcp-handler.ts'); handler: McpHttpHandler }> | null = null;
    const load = () => {
      loaded ??= import('./mcp-handler.ts').then(
        (mcp) => ({
          mcp,
          handler: mcp.createEnclaveMcpHandler(services, agents, { ...options, log: app.log }),
        }),
        (error: unknown) => {
          loaded = null;
          throw error;
        },
      );
      return loaded;
    };
    // After Fastify has drained in-flight requests: aborts anything still open on the MCP handler.
    app.addHook('onClose', async () => {
      await (await loaded)?.handler.close();
    });

    async function serve(request: FastifyRequest, reply: FastifyReply) {
      const scopes = mcpScopes(request);
      const access = await tenantAccess(request, services.tenants, {
        scope: scopes.scope,
        named: namedTenant(request),
      });
      if (!access.tenant && request.principal.kind !== 'open') throw new AppError('TENANT_NOT_FOUND');
      const caller: McpRequestCaller = {
        access,
        principal: request.principal,
        requestId: request.id,
        log: request.log,
        ...scopes,
      };
      const principal = request.principal;
      const { mcp, handler } = await load();
      const authInfo: AuthInfo = {
        token: '',
        clientId: principal.kind === 'tenant' ? (principal.keyId ?? `jwt:${principal.userId ?? ''}`) : principal.kind,
        scopes: principal.kind === 'tenant' ? [...principal.scopes] : [],
        extra: { [mcp.CALLER_KEY]: caller },
      };
      // A client that goes away aborts its exchange (the turn it started still completes and is stored).
      const abort = new AbortController();
      reply.raw.once('close', () => abort.abort());
      const response = await handler.fetch(toWebRequest(request, abort.signal), {
        authInfo,
        ...(request.method === 'POST' ? { parsedBody: request.body } : {}),
      });
      return sendWebResponse(reply, response);
    }

    app.post(
      '/mcp',
      {
        schema: {
          tags: ['mcp'],
          summary: 'MCP (Streamable HTTP): call agents as tools, read sessions as resources',
          description: DESCRIPTION,
          headers: z.looseObject({
            'mcp-protocol-version': z.string().optional().describe('The MCP protocol revision the client speaks'),
          }),
          body: jsonRpcBody,
          response: {
            200: z
              .unknown()
              .describe('A JSON-RPC 2.0 response (application/json, or text/event-stream for 2025 clients)'),
            202: z.unknown().describe('A notification or response was accepted'),
            ...problems(400, 401, 403, 404, 413, 415, 422, 429),
          },
        },
      },
      serve,
    );
    // The 2025 transport's GET (standalone SSE stream) and DELETE (end a session): a stateless
    // server offers neither, and the SDK answers 405 as the transport spec says. Not in OpenAPI:
    // an operation that only ever answers 405 is no operation (the POST's description says so).
    app.route({ method: ['GET', 'DELETE'], url: '/mcp', schema: { hide: true }, handler: serve });
  };
}
