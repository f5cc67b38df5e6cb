import { jsonSchema, tool } from 'ai';

/** Takes no input. A plain JSON schema (not zod) so nothing is converted on every model call. */
const NO_INPUT = jsonSchema<Record<string, never>>({ type: 'object', properties: {}, additionalProperties: false });

/** Built-in tool: the current time as an ISO 8601 UTC timestamp. */
export function createCurrentTimeTool(now: () => Date = () => new Date()) {
  return tool({
    description: 'Returns the current date and time in UTC (ISO 8601).',
    inputSchema: NO_INPUT,
    execute: async () => ({ now: now().toISOString() }),
  });
}
