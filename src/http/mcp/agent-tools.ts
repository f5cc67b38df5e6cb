import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Agent } from '../../core/agent-catalog/agent.ts';
import type { Principal } from '../../core/auth/principal.ts';
import { messageText } from '../../core/conversations/message.ts';
import { AppError, ERROR_CODES, isAppError } from '../../core/errors.ts';
import type { TenantAccess } from '../access.ts';
import type { AppServices } from '../app-services.ts';
import { toUsageJson, usageSchema } from '../schemas/message.ts';
import { sessionIdSchema } from '../schemas/session.ts';
import { sessionAgent } from '../session-agent.ts';

/** Who calls, resolved from the credential of the HTTP request that carries the MCP message. */
export interface McpCaller {
  access: TenantAccess;
  principal: Principal;
  requestId: string;
  log: FastifyBaseLogger;
}

/** The `_meta` key of a tool error that carries Enclave's stable error code. */
export const ERROR_META_KEY = 'enclave/error';

const outputSchema = z.object({
  session_id: z.string(),
  turn_id: z.string(),
  agent_id: z.string(),
  agent_version: z.number().int().nullable(),
  usage: usageSchema,
});

/** A tool error (`isError`) naming the stable code, as MCP hosts show tool errors to the model and user. */
export function toolError(error: AppError): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    _meta: {
      [ERROR_META_KEY]: { code: error.code, status: error.status, retryable: ERROR_CODES[error.code].retryable },
    },
  };
}

/**
 * Registers one tool per agent of the caller's tenant. A call runs one real turn through the same
 * pipeline as `POST /v1/sessions/{id}/messages` (limits, usage ledger, stored messages): in the
 * given session, or in a new session of that agent.
 */
export function registerAgentTools(
  server: McpServer,
  services: AppServices,
  caller: McpCaller,
  agents: readonly Agent[],
  options: { messageMaxChars: number },
): void {
  const inputSchema = z.object({
    message: z.string().min(1).max(options.messageMaxChars).describe('The user message for the agent'),
    session_id: sessionIdSchema
      .optional()
      .describe('Continue this session (from an earlier result); absent starts a new session with this agent'),
  });
  for (const agent of agents) {
    server.registerTool(
      agent.id,
      {
        title: agent.name,
        description:
          agent.description ??
          `Send a message to the Enclave agent "${agent.name}" and get its reply. Pass the returned session_id to continue the conversation.`,
        inputSchema,
        outputSchema,
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      },
      async (args) => {
        try {
          return await runAgentTurn(services, caller, agent.id, args);
        } catch (error) {
          if (isAppError(error)) return toolError(error);
          caller.log.error({ err: error }, 'MCP tool call failed');
          return toolError(new AppError('INTERNAL_ERROR'));
        }
      },
    );
  }
}

async function runAgentTurn(
  services: AppServices,
  caller: McpCaller,
  agentId: string,
  args: { message: string; session_id?: string | undefined },
): Promise<CallToolResult> {
  const { access, principal } = caller;
  const userId = principal.kind === 'tenant' ? principal.userId : null;
  const sessionId =
    args.session_id ??
    (
      await services.conversations.createSession(
        access.tenantId,
        { agentId, userId: userId ?? undefined },
        // With auth disabled a tenant comes into being with its first session, as on /v1/sessions.
        { createTenant: principal.kind === 'open' },
      )
    ).id;
  const agent = await sessionAgent(services, access, sessionId);
  if (agent.agentId !== agentId) {
    throw new AppError(
      'VALIDATION_FAILED',
      `session_id: the session runs the agent "${agent.agentId}"; call that agent's tool to continue it`,
    );
  }
  const result = await services.runTurn({
    tenantId: access.tenantId,
    sessionId,
    text: args.message,
    language: null,
    requestId: caller.requestId,
    config: agent.config,
    agentId: agent.agentId,
    actor: access.actor,
    limits: agent.limits,
    sessionConcurrency: agent.config.config.sessionConcurrency ?? 'enqueue',
  });
  const structured = {
    session_id: sessionId,
    turn_id: result.turnId,
    agent_id: agent.agentId,
    agent_version: result.reply.configVersion,
    usage: toUsageJson(result.usage),
  };
  return { content: [{ type: 'text', text: messageText(result.reply.content) }], structuredContent: structured };
}
