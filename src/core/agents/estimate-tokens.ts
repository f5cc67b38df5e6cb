/**
 * A documented estimate used until a model family brings a real tokenizer: one token per four
 * characters, rounded up, and at least one token for any non-empty text.
 */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}
