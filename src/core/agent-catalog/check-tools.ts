import { AppError } from '../errors.ts';

/** Refuses a config that names a tool the platform does not have (UNKNOWN_TOOL lists the valid ones). */
export function checkTools(tools: readonly string[], known: readonly string[] | undefined): void {
  if (!known) return;
  const unknown = tools.filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  throw new AppError(
    'UNKNOWN_TOOL',
    `Unknown tool: ${unknown.join(', ')}. Valid tools: ${[...known].sort().join(', ')}`,
    { details: { unknown, valid: [...known].sort() } },
  );
}
