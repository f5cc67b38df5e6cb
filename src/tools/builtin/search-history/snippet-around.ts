/** Characters of a search snippet at most (the marker `…` at either end included). */
export const SNIPPET_MAX_CHARS = 200;

/**
 * Up to `SNIPPET_MAX_CHARS` characters of `text` around the first case-insensitive occurrence of
 * `query` (its start when there is none), on one line, with `…` where the text was cut.
 */
export function snippetAround(text: string, query: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= SNIPPET_MAX_CHARS) return flat;
  const found = Math.max(0, flat.toLowerCase().indexOf(query.toLowerCase()));
  const room = SNIPPET_MAX_CHARS - 2;
  let start = Math.max(0, Math.min(found - Math.floor((room - query.length) / 2), flat.length - room));
  let end = Math.min(flat.length, start + room);
  // Never split a surrogate pair at either end.
  if (start > 0 && isLowSurrogate(flat.charCodeAt(start))) start++;
  if (end < flat.length && isLowSurrogate(flat.charCodeAt(end))) end--;
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
