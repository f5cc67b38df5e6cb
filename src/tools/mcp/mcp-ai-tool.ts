import { jsonSchema, type Tool, tool } from 'ai';
import { AppError, isAppError } from '../../core/errors.ts';
import type { McpToolInfo } from '../../core/mcp/mcp-server.ts';
import { mcpResultText } from './mcp-result-text.ts';

/** What an MCP `tools/call` answers, as far as the tool loop reads it. */
export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean | undefined;
}

/**
 * One MCP tool as an AI SDK tool: `call` reaches the server (a session per call for a tenant's
 * server, a shared connection for a platform one). The result is untrusted text for the tool role;
 * a tool error or a documented failure reaches the model as `CODE: message`.
 */
export function mcpAiTool(
  info: McpToolInfo,
  call: (input: Record<string, unknown>, signal: AbortSignal | undefined) => Promise<McpCallResult>,
): Tool {
  return tool({
    description: (info.description ?? '').slice(0, 2_000),
    inputSchema: jsonSchema({ ...info.inputSchema, type: 'object' }),
    async execute(input, options) {
      try {
        const result = await call((input ?? {}) as Record<string, unknown>, options.abortSignal);
        const text = mcpResultText(result);
        if (result.isError) throw new AppError('MCP_SERVER_UNAVAILABLE', `MCP tool error: ${text}`);
        return text;
      } catch (error) {
        // The model (and the stored tool result) sees the documented code and a short message.
        if (isAppError(error)) throw new Error(`${error.code}: ${error.message}`, { cause: error });
        throw error;
      }
    },
  });
}
