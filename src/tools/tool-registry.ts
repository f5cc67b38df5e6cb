import type { ToolSet } from 'ai';
import { createCalculatorTool } from './builtin/calculator/calculator-tool.ts';
import { createCurrentTimeTool } from './builtin/current-time.ts';
import { limitTool, type ToolLimits } from './limit-tool.ts';

export interface ToolRegistry {
  /** Names of every registered tool. */
  names(): string[];
  /** The AI SDK tool set for the given names; unknown names are ignored. */
  select(names: readonly string[]): ToolSet;
}

export interface ToolRegistryOptions extends Partial<ToolLimits> {
  now?: () => Date;
  /** Tools from other sources, registered beside the built-ins (a clashing name is an error). */
  tools?: ToolSet;
}

/** Defaults of `TOOL_TIMEOUT_MS` and `TOOL_OUTPUT_MAX_CHARS`. */
export const DEFAULT_TOOL_LIMITS: ToolLimits = { timeoutMs: 10_000, outputMaxChars: 16_000 };

/**
 * Registers the built-in tools and any others given. Every tool is wrapped once here with the
 * timeout and output cap (`limitTool`), so a tool from any source runs under the same limits.
 */
export function createToolRegistry(options: ToolRegistryOptions = {}): ToolRegistry {
  const limits: ToolLimits = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TOOL_LIMITS.timeoutMs,
    outputMaxChars: options.outputMaxChars ?? DEFAULT_TOOL_LIMITS.outputMaxChars,
  };
  const sources: ToolSet = {
    current_time: createCurrentTimeTool(options.now),
    calculator: createCalculatorTool(),
  };
  for (const [name, tool] of Object.entries(options.tools ?? {})) {
    if (Object.hasOwn(sources, name)) throw new Error(`Tool '${name}' is already registered`);
    sources[name] = tool;
  }
  const tools: ToolSet = {};
  for (const [name, tool] of Object.entries(sources)) tools[name] = limitTool(name, tool, limits);
  return {
    names: () => Object.keys(tools),
    select(names) {
      const selected: ToolSet = {};
      for (const name of names) {
        // Own properties only: a config naming `constructor` or `__proto__` selects nothing.
        const found = Object.hasOwn(tools, name) ? tools[name] : undefined;
        if (found) selected[name] = found;
      }
      return selected;
    },
  };
}
