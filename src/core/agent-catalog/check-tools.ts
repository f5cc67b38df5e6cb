import { AppError } from '../errors.ts';

/**
 * Refuses a config that names a tool the platform does not have (UNKNOWN_TOOL lists the valid
 * ones). `accepts` answers names that no list can hold in advance (a platform MCP server's tools
 * before it has run).
 */
export function checkTools(
  tools: readonly string[],
  known: readonly string[] | undefined,
  accepts?: (name: string) => boolean,
): void {
  if (!known) return;
  const unknown = tools.filter((name) => !known.includes(name) && !accepts?.(name));
  if (unknown.length === 0) return;
  throw new AppError(
    'UNKNOWN_TOOL',
    `Unknown tool: ${unknown.join(', ')}. Valid tools: ${[...known].sort().join(', ')}`,
    { details: { unknown, valid: [...known].sort() } },
  );
}
