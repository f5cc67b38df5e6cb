import { tool } from 'ai';
import { z } from 'zod';

/** Built-in tool: the current time as an ISO 8601 UTC timestamp. Takes no input. */
export function createCurrentTimeTool(now: () => Date = () => new Date()) {
  return tool({
    description: 'Returns the current date and time in UTC (ISO 8601).',
    inputSchema: z.object({}),
    execute: async () => ({ now: now().toISOString() }),
  });
}
