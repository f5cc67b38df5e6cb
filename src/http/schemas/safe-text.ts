import { z } from 'zod';
import { isSafeText } from '../../core/safe-text.ts';

/** Why a text was refused; the same words for every field, on every database. */
export const UNSAFE_TEXT_MESSAGE = 'must not contain a NUL character or an unpaired UTF-16 surrogate';

/** A request string that passes `isSafeText` (for inputs that reach no HTTP route, like WebSocket messages). */
export function safeText() {
  return z.string().refine(isSafeText, UNSAFE_TEXT_MESSAGE);
}

const UNSAFE_KEY_MESSAGE = 'has a key with a NUL character or an unpaired UTF-16 surrogate';

/** One unsafe text found in a parsed input: where, and whether it was a key or a value. */
export interface UnsafeText {
  path: string;
  message: string;
}

/**
 * The first string or object key in `value` (parsed JSON, a query or path parameters) that is not
 * safe text, or undefined. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function findUnsafeText(value: unknown, root: string): UnsafeText | undefined {
  const pending: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const current = next.value;
    if (typeof current === 'string') {
      if (!isSafeText(current)) return { path: next.path, message: UNSAFE_TEXT_MESSAGE };
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--)
        pending.push({ value: current[index], path: `${next.path}.${index}` });
    } else if (typeof current === 'object' && current !== null && !ArrayBuffer.isView(current)) {
      const keys = Object.keys(current);
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string;
        // The key itself is never echoed: it is the unsafe text.
        if (!isSafeText(key)) return { path: next.path, message: UNSAFE_KEY_MESSAGE };
        pending.push({ value: (current as Record<string, unknown>)[key], path: `${next.path}.${key}` });
      }
    }
  }
  return undefined;
}
