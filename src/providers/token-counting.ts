import type { Tiktoken } from 'js-tiktoken/lite';
import { ESTIMATE_COUNTER, type TokenCounter, type TokenCounterFor } from '../core/context/token-counter.ts';

type Encoding = 'o200k_base' | 'cl100k_base';

/**
 * OpenAI's per-message framing in chat formats (`<|start|>role<|message|>…<|end|>`): 3 tokens per
 * message, as OpenAI's cookbook counts them; the reply's priming is counted by the context builder.
 */
const OPENAI_MESSAGE_OVERHEAD = 3;

/**
 * The encoding of an OpenAI model family, or null for anything else. Matched on the last path
 * segment of the id, so `openai/gpt-4o` on a gateway counts like `gpt-4o`.
 */
export function openAiEncodingOf(modelId: string): Encoding | null {
  const id = (modelId.split('/').at(-1) ?? '').toLowerCase();
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o[1-9](-|$)|gpt-oss)/.test(id)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5|gpt-35)/.test(id)) return 'cl100k_base';
  return null;
}

/**
 * Loads an encoding's ranks on first use only (each is a few MB of JavaScript and takes a while
 * to parse), once per process; concurrent first callers share the load.
 */
const encoders = new Map<Encoding, Promise<Tiktoken>>();
function encoder(encoding: Encoding): Promise<Tiktoken> {
  let loading = encoders.get(encoding);
  if (!loading) {
    loading = (async () => {
      const { Tiktoken } = await import('js-tiktoken/lite');
      const ranks =
        encoding === 'o200k_base'
          ? (await import('js-tiktoken/ranks/o200k_base')).default
          : (await import('js-tiktoken/ranks/cl100k_base')).default;
      return new Tiktoken(ranks);
    })();
    // A failed load is not cached: the next turn tries again (and counts with the estimate meanwhile).
    loading.catch(() => encoders.delete(encoding));
    encoders.set(encoding, loading);
  }
  return loading;
}

/** The exact counter of an OpenAI encoding. */
export async function tiktokenCounter(encoding: Encoding): Promise<TokenCounter> {
  const tokenizer = await encoder(encoding);
  return {
    encoding,
    messageOverhead: OPENAI_MESSAGE_OVERHEAD,
    // No special tokens: text that contains `<|endoftext|>` is user text, counted (and sent) as such.
    count: (text) => (text.length === 0 ? 0 : tokenizer.encode(text, [], []).length),
  };
}

/**
 * Token counting per model family: OpenAI's tokenizers (js-tiktoken) for the GPT-4o, GPT-4.1,
 * GPT-5 and o-series (`o200k_base`) and GPT-4 / GPT-3.5 (`cl100k_base`) families, whatever
 * provider serves them; the documented estimate (`ESTIMATE_COUNTER`) for Anthropic, Bedrock, other
 * models and the simulated model, whose tokenizers are not public or not known.
 */
export const tokenCounterFor: TokenCounterFor = (model) => {
  if (model.provider === 'simulated') return ESTIMATE_COUNTER;
  const encoding = openAiEncodingOf(model.modelId);
  return encoding ? tiktokenCounter(encoding) : ESTIMATE_COUNTER;
};

/** What `encodingsToPreload` needs of a configured provider. */
interface ProviderModels {
  type: string;
  /** The model ids tenants may use with it; unset allows any. */
  models?: readonly string[] | undefined;
}

/**
 * The OpenAI encodings that turns on these providers can need: those of the listed models, or both
 * for an OpenAI or OpenAI-compatible provider that allows any model (a gateway may serve GPT
 * models). Anthropic and Bedrock serve no OpenAI-family model ids, and the simulated model counts
 * with the estimate, so they need none. Each encoding costs about 50 MB of heap once parsed.
 */
export function encodingsToPreload(providers: readonly ProviderModels[]): Encoding[] {
  const needed = new Set<Encoding>();
  for (const provider of providers) {
    if (provider.models) {
      for (const model of provider.models) {
        const encoding = openAiEncodingOf(model);
        if (encoding) needed.add(encoding);
      }
    } else if (provider.type === 'openai' || provider.type === 'openai-compatible') {
      needed.add('o200k_base').add('cl100k_base');
    }
  }
  return [...needed];
}

/**
 * Loads these encodings now. Parsing the ranks blocks the event loop for seconds; the server does
 * it before it listens, for the encodings its providers can need (`encodingsToPreload`), so no
 * tenant's turn stalls every other request while the first OpenAI-family turn loads them. Any
 * other encoding still loads on first use.
 */
export async function preloadTokenizers(encodings: readonly Encoding[]): Promise<void> {
  await Promise.all(encodings.map(encoder));
}
