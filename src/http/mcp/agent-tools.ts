import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Agent } from '../../core/agent-catalog/agent.ts';
import { AppError, isAppError } from '../../core/errors.ts';
import type { AppServices } from '../app-services.ts';
import { usageSchema } from '../schemas/message.ts';
import { sessionIdSchema } from '../schemas/session.ts';
import { type McpCaller, toolError } from './agent-turn.ts';
import { runAgentTurn } from './idempotent-tool-call.ts';

const outputSchema = z.object({
  session_id: z.string(),
  turn_id: z.string(),
  agent_id: z.string(),
  agent_version: z.number().int().nullable(),
  usage: usageSchema,
});

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
