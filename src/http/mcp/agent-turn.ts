import type { CallToolResult } from '@modelcontextprotocol/server';
import type { FastifyBaseLogger } from 'fastify';
import type { TurnResult } from '../../core/agents/run-agent.ts';
import type { Principal } from '../../core/auth/principal.ts';
import { messageText } from '../../core/conversations/message.ts';
import { AppError, ERROR_CODES } from '../../core/errors.ts';
import type { TurnClaim } from '../../core/turns/idempotency.ts';
import type { TenantAccess } from '../access.ts';
import type { AppServices } from '../app-services.ts';
import { toUsageJson } from '../schemas/message.ts';
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

/** A tool call's arguments, as the input schema parsed them. */
export type ToolArgs = { message: string; session_id?: string | undefined };

/** The tool result of a turn: the reply as text, the ids and usage as structured content. */
export function toolResult(result: TurnResult, agentId: string): CallToolResult {
  const structured = {
    session_id: result.userMessage.sessionId,
    turn_id: result.turnId,
    agent_id: result.reply.agentId ?? agentId,
    agent_version: result.reply.configVersion,
    usage: toUsageJson(result.usage),
  };
  return { content: [{ type: 'text', text: messageText(result.reply.content) }], structuredContent: structured };
}

/**
 * One turn of `agentId` for a tool call, through the one turn pipeline (limits, stored messages,
 * usage ledger): in `session_id`, which must be this agent's session of the caller's tenant, or in
 * a new session of the agent. With a claim, the turn commits under it (exactly-once).
 */
export async function runTurnOnce(
  services: AppServices,
  caller: McpCaller,
  agentId: string,
  args: ToolArgs,
  claim: TurnClaim | null,
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
    idempotency: claim,
  });
  return toolResult(result, agent.agentId);
}
