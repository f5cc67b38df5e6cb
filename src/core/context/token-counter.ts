/**
 * Counts tokens the way one model family does. The context builder fills the budget with it, so a
 * count that is too low lets a prompt exceed the budget: implementations must be exact or err high.
 */
export interface TokenCounter {
  /**
   * The tokenizer behind the count (`o200k_base`, `cl100k_base`) or `estimate`. Counters with the
   * same encoding and overhead must count alike: counts are remembered between turns by it.
   */
  readonly encoding: string;
  /** Tokens of `text`. Special-token markers in the text count as plain text, never as control tokens. */
  count(text: string): number;
  /** Tokens each message adds beyond its text (role and separators). */
  readonly messageOverhead: number;
}

/** The counter for the model a turn runs on, by its provider and model id. */
export type TokenCounterFor = (model: { provider: string; modelId: string }) => TokenCounter | Promise<TokenCounter>;

/**
 * The documented estimate for families without a public tokenizer (Anthropic, Bedrock, other
 * OpenAI-compatible servers, the simulated model), by character class, rounded up:
 * letters and whitespace ¼ token each, digits ½, ASCII punctuation ¾, other characters of the
 * Basic Multilingual Plane (accented letters, CJK) 1¼, and characters outside it (emoji) 3; plus 4
 * tokens per message. Byte-level BPE tokenizers split digits, punctuation and non-Latin scripts far
 * more finely than English words, hence the weights. docs/architecture.md (Context management)
 * gives the measured error against real tokenizers, and where it undercounts.
 */
export const ESTIMATE_COUNTER: TokenCounter = {
  encoding: 'estimate',
  messageOverhead: 4,
  count(text) {
    let total = 0;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code >= 0xd800 && code <= 0xdbff) {
        total += 3;
        index++; // the low half of the pair
      } else if (code >= 0x80) total += 1.25;
      else if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code <= 0x20) total += 0.25;
      else if (code >= 0x30 && code <= 0x39) total += 0.5;
      else total += 0.75;
    }
    return Math.ceil(total);
  },
};
