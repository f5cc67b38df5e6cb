import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { SUMMARY_INSTRUCTIONS_START } from '../../core/context/rolling-summary.ts';

/** Longest summary the simulated model writes, so a session's context stays bounded. */
export const SIMULATED_SUMMARY_MAX_CHARS = 600;
const PREFIX = 'The user said: ';
/** Each earlier user message is kept to this many characters in the summary. */
const ITEM_MAX_CHARS = 80;
const SEPARATOR = ' | ';

/** A summarisation request: its instructions begin with `SUMMARY_INSTRUCTIONS_START` (exactly, never a guess). */
export function isSummaryRequest(prompt: LanguageModelV4CallOptions['prompt']): boolean {
  const first = prompt[0];
  return first?.role === 'system' && first.content.startsWith(SUMMARY_INSTRUCTIONS_START);
}

/** The lines between `<tag>` and `</tag>` of a summarisation request. */
function section(request: string, tag: string): string[] {
  const lines = request.split('\n');
  const start = lines.indexOf(`<${tag}>`);
  const end = lines.indexOf(`</${tag}>`);
  return start === -1 || end <= start ? [] : lines.slice(start + 1, end);
}

/**
 * The simulated model's rolling summary, deterministic and incremental: the previous summary's
 * items, then each new user message (cut to 80 characters), keeping the newest items within
 * `SIMULATED_SUMMARY_MAX_CHARS`: `The user said: <oldest kept> | … | <newest>`.
 */
export function simulatedSummary(request: string): string {
  const previous = section(request, 'previous-summary').join(' ').trim();
  const items: string[] = [];
  if (previous.startsWith(PREFIX)) items.push(...previous.slice(PREFIX.length).split(SEPARATOR));
  else if (previous && previous !== '(none)') items.push(previous.slice(0, ITEM_MAX_CHARS));
  for (const line of section(request, 'new-messages')) {
    if (line.startsWith('user: ')) items.push(line.slice('user: '.length, 'user: '.length + ITEM_MAX_CHARS).trim());
  }
  const kept: string[] = [];
  let length = PREFIX.length;
  for (const item of items.filter(Boolean).reverse()) {
    const added = item.length + (kept.length > 0 ? SEPARATOR.length : 0);
    if (length + added > SIMULATED_SUMMARY_MAX_CHARS) break;
    length += added;
    kept.unshift(item);
  }
  return kept.length > 0 ? `${PREFIX}${kept.join(SEPARATOR)}` : 'Nothing was said yet.';
}
