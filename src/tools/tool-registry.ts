import type { ToolSet } from 'ai';
import { createCurrentTimeTool } from './builtin/current-time.ts';

export interface ToolRegistry {
  /** Names of every registered tool. */
  names(): string[];
  /** The AI SDK tool set for the given names; unknown names are ignored. */
  select(names: readonly string[]): ToolSet;
}

export interface ToolRegistryOptions {
  now?: () => Date;
}

/** Registers the built-in tools. Later sources (HTTP tools, MCP servers) register here too. */
export function createToolRegistry(options: ToolRegistryOptions = {}): ToolRegistry {
  const tools: ToolSet = {
    current_time: createCurrentTimeTool(options.now),
  };
  return {
    names: () => Object.keys(tools),
    select(names) {
      const selected: ToolSet = {};
      for (const name of names) {
        const found = tools[name];
        if (found) selected[name] = found;
      }
      return selected;
    },
  };
}
