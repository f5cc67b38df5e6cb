import { createMcpHandler, type McpHttpHandler, McpServer } from '@modelcontextprotocol/server';
import type { FastifyBaseLogger } from 'fastify';
import type { AgentService } from '../../core/agent-catalog/agent-service.ts';
import type { AppServices } from '../app-services.ts';
import { registerAgentTools } from './agent-tools.ts';
import type { McpCaller } from './agent-turn.ts';
import { registerSessionResources } from './session-resources.ts';

export { checkMcpHost } from './host-check.ts';

/** A tenant has at most this many agents (DEFAULT_MAX_AGENTS is 100); every one is a tool. */
const MAX_TOOLS = 1000;
/** The key of `authInfo.extra` that carries the caller, resolved by the route from the credential. */
export const CALLER_KEY = 'enclave.caller';

export type McpRequestCaller = McpCaller & { tools: boolean; resources: boolean };

/**
 * The SDK's HTTP handler for `/mcp`: 2026-07-28 requests served by a fresh `McpServer` per request,
 * 2025 requests by the SDK's stateless transport, both from the same factory. Loaded on the first
 * `/mcp` request (mcp-route.ts), so a server nobody speaks MCP to never loads the SDK.
 */
export function createEnclaveMcpHandler(
  services: AppServices,
  agents: AgentService,
  options: { messageMaxChars: number; bodyLimitBytes: number; version: string; log: FastifyBaseLogger },
): McpHttpHandler {
  return createMcpHandler(
    async (context) => {
      const caller = context.authInfo?.extra?.[CALLER_KEY] as McpRequestCaller | undefined;
      if (!caller) throw new Error('MCP request without a resolved caller');
      const server = new McpServer(
        { name: 'enclave', title: 'Enclave', version: options.version },
        {
          // Stateless and multi-replica: no change notifications (no replica could deliver them all).
          // A credential without `chat` gets no tools capability; without `history:read`, no resources.
          capabilities: {
            ...(caller.tools ? { tools: { listChanged: false } } : {}),
            ...(caller.resources ? { resources: { listChanged: false, subscribe: false } } : {}),
          },
          instructions:
            "Each tool is one of this tenant's Enclave agents: send it a message, and pass the session_id it returns to continue that conversation. Sessions are readable as resources enclave://sessions/{id}.",
        },
      );
      if (caller.tools) {
        const list = await agents.list(caller.access.tenantId, { limit: MAX_TOOLS, afterId: null });
        registerAgentTools(server, services, caller, list, options);
      }
      if (caller.resources) registerSessionResources(server, services, caller);
      return server;
    },
    {
      legacy: 'stateless',
      // One JSON body per request: no handler emits anything before its result, so none upgrades to SSE.
      responseMode: 'auto',
      maxRequestBodySize: options.bodyLimitBytes,
      onerror: (error) => options.log.warn({ err: error }, 'MCP request failed'),
    },
  );
}
