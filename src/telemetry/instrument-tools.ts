import { context, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { Tool, ToolExecutionOptions, ToolSet } from 'ai';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Wraps each tool's `execute` in an `execute_tool {name}` span (GenAI semantic conventions) under
 * the current turn, with the tool's name and call id; never its input or output.
 */
export function instrumentTools(tools: ToolSet, options: { tenantId: string; tracer: Tracer }): ToolSet {
  const traced: ToolSet = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool.execute;
    if (!execute) {
      traced[name] = tool;
      continue;
    }
    const wrapped = (input: unknown, execution: ToolExecutionOptions<unknown>) => {
      const span = options.tracer.startSpan(
        `execute_tool ${name}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': name,
            'gen_ai.tool.call.id': execution.toolCallId,
            'gen_ai.tool.type': 'function',
            'enclave.tenant_id': options.tenantId,
          },
        },
        context.active(),
      );
      const fail = (error: unknown): never => {
        // The error's class only: a tool's message can quote its input.
        span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'error');
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      };
      let result: unknown;
      try {
        result = execute(input as never, execution as never);
      } catch (error) {
        return fail(error);
      }
      // A streaming tool's span covers starting it; the AI SDK consumes its output afterwards.
      if (isAsyncIterable(result)) {
        span.end();
        return result;
      }
      return Promise.resolve(result).then((value) => {
        span.end();
        return value;
      }, fail);
    };
    traced[name] = { ...tool, execute: wrapped } as Tool;
  }
  return traced;
}
