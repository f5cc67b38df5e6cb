import { z } from 'zod';

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
