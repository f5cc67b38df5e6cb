/**
 * Text every database stores unchanged: PostgreSQL refuses NUL in `text` and `\u0000` in `jsonb`
 * (a 500 if it got that far), SQLite would keep it, and both turn an unpaired UTF-16 surrogate into
 * U+FFFD. Every other character, control characters included, is safe.
 */
export function isSafeText(text: string): boolean {
  return !text.includes('\0') && text.isWellFormed();
}
