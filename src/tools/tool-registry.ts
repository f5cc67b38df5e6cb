import type { ToolSet } from 'ai';
import { createCalculatorTool } from './builtin/calculator/calculator-tool.ts';
import { createCurrentTimeTool } from './builtin/current-time.ts';
import { createSearchHistoryTool, type SearchMessages } from './builtin/search-history/search-history-tool.ts';
import { limitTool, type ToolLimits } from './limit-tool.ts';

export interface ToolRegistry {
  /** Names of every registered tool. */
  names(): string[];
  /**
   * The AI SDK tool set for the given names; unknown names are ignored. Tools that read tenant
   * data (`search_history`) are bound to `scope.tenantId` here, and left out without a scope.
   */
  select(names: readonly string[], scope?: ToolScope): ToolSet;
}

/** The turn a tool set is selected for: tenant-bound tools act for this tenant only. */
export interface ToolScope {
  tenantId: string;
  sessionId: string | null;
  turnId: string | null;
}

export interface ToolRegistryOptions extends Partial<ToolLimits> {
  now?: () => Date;
  /** Tools from other sources, registered beside the built-ins (a clashing name is an error). */
  tools?: ToolSet;
  /** The tenant's message search; registers `search_history` when given. */
  searchHistory?: SearchMessages;
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
    if (Object.hasOwn(sources, name) || (options.searchHistory && name === 'search_history'))
      throw new Error(`Tool '${name}' is already registered`);
    sources[name] = tool;
  }
  const tools: ToolSet = {};
  for (const [name, tool] of Object.entries(sources)) tools[name] = limitTool(name, tool, limits);
  // Built per turn, so that the tenant is fixed by the caller and never an argument the model fills in.
  const { searchHistory } = options;
  const scoped: Record<string, (scope: ToolScope) => ToolSet[string]> = searchHistory
    ? {
        search_history: (scope) => limitTool('search_history', createSearchHistoryTool(searchHistory, scope), limits),
      }
    : {};
  return {
    names: () => [...Object.keys(tools), ...Object.keys(scoped)],
    select(names, scope) {
      const selected: ToolSet = {};
      for (const name of names) {
        // Own properties only: a config naming `constructor` or `__proto__` selects nothing.
        const found = Object.hasOwn(tools, name) ? tools[name] : undefined;
        if (found) selected[name] = found;
        const bind = Object.hasOwn(scoped, name) ? scoped[name] : undefined;
        if (bind && scope) selected[name] = bind(scope);
      }
      return selected;
    },
  };
}
