import { z } from 'zod';

/**
 * Parses a JSON list from one environment variable and validates it with `schema`. Each problem
 * becomes an issue on `context` naming the entry and field (`[1].name: …`), never a value; the
 * result is `z.NEVER` then. `what` names the entries in messages (`providers`, `MCP servers`).
 */
export function parseJsonList<T extends z.ZodType>(
  text: string,
  context: z.RefinementCtx,
  schema: T,
  what: string,
): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    context.addIssue({ code: 'custom', message: `is not valid JSON (expected an array of ${what})` });
    return z.NEVER;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
      context.addIssue({ code: 'custom', message: `${path || what}: ${issue.message}` });
    }
    return z.NEVER;
  }
  return parsed.data;
}
