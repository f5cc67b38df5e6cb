/**
 * Whether a parsed `chat.completion.chunk` is one the provider package's chunk schema would accept
 * unchanged, checked by hand: the common chunk (text, reasoning, tool call deltas, finish, usage)
 * then skips the zod validation that would cost more than the rest of its handling. Anything this
 * does not recognise (an `error` body, an odd field type) answers false, and the caller validates
 * it with the package's own schema, so the outcome (the value or the validation error) is the
 * package's. `refusal` is not checked: the schema accepts any value and keeps only a string.
 */
export function isPlainChatChunk(value: unknown): boolean {
  if (!isObject(value) || 'error' in value) return false;
  if (!optional(value.id, 'string') || !optional(value.created, 'number') || !optional(value.model, 'string')) {
    return false;
  }
  if (!Array.isArray(value.choices) || !value.choices.every(isPlainChoice)) return false;
  return value.usage == null || isPlainUsage(value.usage);
}

function isPlainChoice(choice: unknown): boolean {
  if (!isObject(choice) || !optional(choice.finish_reason, 'string')) return false;
  const delta = choice.delta;
  if (delta == null) return true;
  if (!isObject(delta)) return false;
  if (delta.role != null && delta.role !== 'assistant' && delta.role !== '') return false;
  if (!optional(delta.reasoning_content, 'string') || !optional(delta.reasoning, 'string')) return false;
  const content = delta.content;
  if (content != null && typeof content !== 'string') {
    if (!Array.isArray(content) || !content.every((part) => isObject(part) && typeof part.type === 'string')) {
      return false;
    }
  }
  const calls = delta.tool_calls;
  return calls == null || (Array.isArray(calls) && calls.every(isPlainToolCallDelta));
}

function isPlainToolCallDelta(call: unknown): boolean {
  if (!isObject(call) || !optional(call.index, 'number') || !optional(call.id, 'string')) return false;
  const fn = call.function;
  if (!isObject(fn) || !optional(fn.name, 'string') || !optional(fn.arguments, 'string')) return false;
  const extra = call.extra_content;
  if (extra == null) return true;
  if (!isObject(extra)) return false;
  const google = extra.google;
  return google == null || (isObject(google) && optional(google.thought_signature, 'string'));
}

const USAGE_NUMBERS = ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const;
const DETAIL_NUMBERS = {
  prompt_tokens_details: ['cached_tokens'],
  completion_tokens_details: ['reasoning_tokens', 'accepted_prediction_tokens', 'rejected_prediction_tokens'],
} as const;

function isPlainUsage(usage: unknown): boolean {
  if (!isObject(usage) || !USAGE_NUMBERS.every((key) => optional(usage[key], 'number'))) return false;
  return Object.entries(DETAIL_NUMBERS).every(([key, numbers]) => {
    const details = usage[key];
    return details == null || (isObject(details) && numbers.every((name) => optional(details[name], 'number')));
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absent, null, or of the type (zod's `nullish()`); a number must not be NaN (JSON has none). */
function optional(value: unknown, type: 'string' | 'number'): boolean {
  return value == null || typeof value === type;
}
