import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Agent } from '../../core/agent-catalog/agent.ts';
import type { TurnResult } from '../../core/agents/run-agent.ts';
import { storedTurnResult } from '../../core/agents/stored-turn-result.ts';
import type { Principal } from '../../core/auth/principal.ts';
import { messageText } from '../../core/conversations/message.ts';
import { AppError, ERROR_CODES, isAppError } from '../../core/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN, requestFingerprint, type TurnClaim } from '../../core/turns/idempotency.ts';
import type { TenantAccess } from '../access.ts';
import type { AppServices } from '../app-services.ts';
import { STORED_FAILURES } from '../idempotency.ts';
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
      async (args, context) => {
        try {
          return await runAgentTurn(services, caller, agent.id, args, context.mcpReq._meta);
        } catch (error) {
          if (isAppError(error)) return toolError(error);
          caller.log.error({ err: error }, 'MCP tool call failed');
          return toolError(new AppError('INTERNAL_ERROR'));
        }
      },
    );
  }
}

/** The `_meta` key of a `tools/call` that makes it exactly-once, like `Idempotency-Key` on the HTTP API. */
export const IDEMPOTENCY_META_KEY = 'enclave/idempotency_key';

type ToolArgs = { message: string; session_id?: string | undefined };

/**
 * One tool call, exactly once when it carries an idempotency key in `_meta`: the first call with
 * the key claims it and its turn commits under the claim; a retry gets the stored result (or, when
 * the first call's process died after the commit, the result read back from the stored turn)
 * without running the model again. The key is the same per-tenant key space as the HTTP API's.
 */
async function runAgentTurn(
  services: AppServices,
  caller: McpCaller,
  agentId: string,
  args: ToolArgs,
  meta: Record<string, unknown> | undefined,
): Promise<CallToolResult> {
  const key = meta?.[IDEMPOTENCY_META_KEY];
  if (key === undefined || !services.idempotency) return runTurnOnce(services, caller, agentId, args, null);
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `_meta.${IDEMPOTENCY_META_KEY}: must be 1 to 255 printable ASCII characters`,
    );
  }
  const { access, principal } = caller;
  const idempotency = services.idempotency;
  const fingerprint = requestFingerprint({
    method: 'MCP',
    route: 'tools/call',
    params: { name: agentId },
    body: args,
    caller:
      principal.kind === 'tenant'
        ? principal.keyId
          ? `key:${principal.keyId}`
          : `jwt:${principal.userId ?? ''}`
        : principal.kind,
  });
  const userId = principal.kind === 'tenant' ? principal.userId : null;
  const begun = await idempotency.begin(access.tenantId, { key, fingerprint, userId });
  if (begun.kind === 'replay') return begun.response.body as CallToolResult;
  if (begun.kind === 'committed') {
    const result = storedTurnResult(await services.storage.getTurn(access.tenantId, begun.turnId));
    // The row and the turn commit together and are erased together: a turn gone is an erased one.
    if (!result) throw new AppError('TURN_NOT_FOUND');
    return toolResult(result, agentId);
  }
  const { claim } = begun;
  let result: CallToolResult;
  try {
    result = await runTurnOnce(services, caller, agentId, args, { key: claim.key, token: claim.token });
  } catch (error) {
    const final = isAppError(error) && STORED_FAILURES.has(error.code);
    await settle(caller, () =>
      final
        ? idempotency.complete(claim, {
            status: 'failed',
            response: { status: error.status, body: toolError(error), turnId: null },
          })
        : idempotency.release(claim),
    );
    throw error;
  }
  const turnId = (result.structuredContent as { turn_id: string }).turn_id;
  await settle(caller, () =>
    idempotency.complete(claim, { status: 'completed', response: { status: 200, body: result, turnId } }),
  );
  return result;
}

/** Settling a claim may fail (the store away): the result still goes out, the key expires in progress. */
async function settle(caller: McpCaller, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    caller.log.warn({ err: error }, 'could not settle an idempotency key');
  }
}

function toolResult(result: TurnResult, agentId: string): CallToolResult {
  const structured = {
    session_id: result.userMessage.sessionId,
    turn_id: result.turnId,
    agent_id: result.reply.agentId ?? agentId,
    agent_version: result.reply.configVersion,
    usage: toUsageJson(result.usage),
  };
  return { content: [{ type: 'text', text: messageText(result.reply.content) }], structuredContent: structured };
}

async function runTurnOnce(
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
