import type { Tool, ToolExecutionOptions } from 'ai';
import { linkSignals } from '../core/turns/linked-signal.ts';

/** Limits every registered tool runs under. */
export interface ToolLimits {
  /** Longest one call may run; after it the call fails with `ToolTimeoutError`. */
  timeoutMs: number;
  /** Longest output, in characters of its text (or JSON text); longer output is cut and marked. */
  outputMaxChars: number;
}

/** A tool call that did not finish in time. The model sees its message as the tool's error result. */
export class ToolTimeoutError extends Error {
  override name = 'ToolTimeoutError';
}

/** The marker that ends a cut output. */
const TRUNCATION_MARKER = /… \[output truncated: \d+ of \d+ characters shown\]$/;

/** Cuts `text` to at most `max` characters, ending with a marker that says how much was left out. */
export function truncateOutput(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (kept: number) => `… [output truncated: ${kept} of ${text.length} characters shown]`;
  let kept = Math.max(0, max - marker(max).length);
  // Never split a surrogate pair, or the stored text would not be valid UTF-16.
  const last = text.charCodeAt(kept - 1);
  if (kept > 0 && last >= 0xd800 && last <= 0xdbff) kept--;
  return text.slice(0, kept) + marker(kept);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** A streaming tool's final output is its last value, as the AI SDK takes it. */
async function finalOutput(result: unknown): Promise<unknown> {
  if (!isAsyncIterable(result)) return result;
  let last: unknown;
  for await (const value of result) last = value;
  return last;
}

/**
 * Wraps a tool's `execute` so that a call never outlives `timeoutMs` (its abort signal fires
 * too, for tools that can stop early) and its output, or error message, never exceeds
 * `outputMaxChars`. Both limits become ordinary tool results or errors the model sees, so a slow
 * or chatty tool can neither hang a turn nor flood the context and the stored history.
 */
export function limitTool(name: string, tool: Tool, limits: ToolLimits): Tool {
  const execute = tool.execute;
  if (!execute) return tool;

  async function limitedExecute(input: unknown, options: ToolExecutionOptions<unknown>): Promise<unknown> {
    const timeout = new AbortController();
    const turnSignal = options.abortSignal;
    const linked = turnSignal ? linkSignals(turnSignal, timeout.signal) : null;
    const signal = linked?.signal ?? timeout.signal;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new ToolTimeoutError(`Tool '${name}' did not finish within ${limits.timeoutMs} ms`);
        timeout.abort(error);
        reject(error);
      }, limits.timeoutMs);
      onAbort = () => reject(turnSignal?.reason);
      if (turnSignal?.aborted) onAbort();
      else turnSignal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const output = await Promise.race([finalOutput(execute?.(input, { ...options, abortSignal: signal })), stopped]);
      return capOutput(output);
    } catch (error) {
      if (error instanceof Error && error.message.length > limits.outputMaxChars) {
        throw new Error(truncateOutput(error.message, limits.outputMaxChars), { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      linked?.end();
      if (onAbort) turnSignal?.removeEventListener('abort', onAbort);
    }
  }

  function capOutput(output: unknown): unknown {
    const text = typeof output === 'string' ? output : JSON.stringify(output);
    if (text === undefined || text.length <= limits.outputMaxChars) return output;
    return truncateOutput(text, limits.outputMaxChars);
  }

  const toModelOutput = tool.toModelOutput;
  return {
    ...tool,
    execute: limitedExecute,
    ...(toModelOutput
      ? {
          // A cut output is a string, not the type the tool's own toModelOutput expects. Recognised
          // by its marker rather than remembered per call id: ids are not unique across tenants.
          toModelOutput: (options: Parameters<typeof toModelOutput>[0]) =>
            typeof options.output === 'string' && TRUNCATION_MARKER.test(options.output)
              ? { type: 'text' as const, value: options.output }
              : toModelOutput(options),
        }
      : {}),
  } as Tool;
}
