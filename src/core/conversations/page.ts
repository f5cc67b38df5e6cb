/** One page of a cursor-paginated list. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
  nextCursor: string | null;
}

/**
 * Builds a page from up to `limit + 1` fetched items: the extra item only signals `hasMore`.
 * `cursorOf` names the position of the last returned item.
 */
export function toPage<T>(items: T[], limit: number, cursorOf: (item: T) => string): Page<T> {
  const hasMore = items.length > limit;
  const data = hasMore ? items.slice(0, limit) : items;
  const last = data.at(-1);
  return { data, hasMore, nextCursor: hasMore && last !== undefined ? cursorOf(last) : null };
}
