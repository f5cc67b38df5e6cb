import { z } from 'zod';
import { encodeCursor } from '../../core/conversations/cursor.ts';
import { toPage } from '../../core/conversations/page.ts';

/** `{ data, has_more, next_cursor }`: the shape of every cursor-paginated list. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() });
}

/** `?limit=&cursor=` with limit 1..max (query strings are text, so limit is parsed explicitly). */
export function pageQuerySchema(defaultLimit: number, maxLimit: number) {
  return z.object({
    limit: z
      .string()
      .regex(/^\d{1,5}$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(maxLimit))
      .default(defaultLimit),
    cursor: z.string().min(1).max(256).optional(),
  });
}

/**
 * The API shape of a cursor page built from up to `limit + 1` fetched items (the extra one only
 * says there is more); `cursorOf` names the last returned item's position.
 */
export function pageJson<T, J>(
  items: T[],
  limit: number,
  cursorOf: (item: T) => string | number,
  toJson: (item: T) => J,
): { data: J[]; has_more: boolean; next_cursor: string | null } {
  const page = toPage(items, limit, (item) => encodeCursor(cursorOf(item)));
  return { data: page.data.map(toJson), has_more: page.hasMore, next_cursor: page.nextCursor };
}
