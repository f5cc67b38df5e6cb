import type { LanguageModelUsage } from 'ai';
import type { TokenCounter } from '../context/token-counter.ts';
import type { Step, StepContent } from './steps-to-messages.ts';

/** Whether a model call's usage lacks its input or output count (the provider reported none). */
export function isUsageMissing(usage: LanguageModelUsage | undefined): boolean {
  return usage?.inputTokens === undefined || usage.outputTokens === undefined;
}

/**
 * A usage with each count the provider left out replaced by `estimate`'s, and the total made
 * their sum. Counts the provider did report are kept as they are.
 */
export function withEstimatedUsage(
  usage: LanguageModelUsage | undefined,
  estimate: { inputTokens: number; outputTokens: number },
): LanguageModelUsage {
  const inputTokens = usage?.inputTokens ?? estimate.inputTokens;
  const outputTokens = usage?.outputTokens ?? estimate.outputTokens;
  return { ...usage, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens } as LanguageModelUsage;
}

/**
 * A turn's steps with the usage counted by `counter` wherever the provider reported none (an
 * OpenAI-compatible stream without a usage chunk, a JSON answer without `usage`), so that token
 * limits and quotas still charge the turn. A step's input is the context (`promptTokens`, as the
 * context builder counted it) plus what the earlier steps added to it (their text, tool calls and
 * tool results); its output is its own text and tool calls. `estimated` says whether any count was
 * estimated; the usage record carries it.
 */
export function estimateMissingUsage(
  steps: readonly Step[],
  counter: TokenCounter,
  promptTokens: number,
): { steps: Step[]; estimated: boolean } {
  if (!steps.some((step) => isUsageMissing(step.usage))) return { steps: [...steps], estimated: false };
  let carried = 0;
  const filled = steps.map((step): Step => {
    const output = countParts(counter, step.content, false);
    const toolResults = countParts(counter, step.content, true);
    const usage = isUsageMissing(step.usage)
      ? withEstimatedUsage(step.usage, { inputTokens: promptTokens + carried, outputTokens: output })
      : step.usage;
    carried += output + toolResults + (toolResults > 0 ? 2 : 1) * counter.messageOverhead;
    return { content: step.content, usage };
  });
  return { steps: filled, estimated: true };
}

/** Tokens of a step's own output (text and tool calls), or of its tool results. */
function countParts(counter: TokenCounter, content: readonly StepContent[], results: boolean): number {
  let total = 0;
  for (const part of content) {
    if (part.type === 'text' || part.type === 'reasoning') {
      if (!results) total += counter.count(part.text);
    } else if (part.type === 'tool-call') {
      if (!results) total += counter.count(part.toolName) + counter.count(JSON.stringify(part.input) ?? '');
    } else if (results) {
      const value = part.type === 'tool-result' ? part.output : String(part.error);
      total += counter.count(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
    }
  }
  return total;
}

type WarnLog = { warn(details: Record<string, unknown>, message: string): void };

/** Providers already warned about, per logger (one logger per server): a warning per provider, not per turn. */
const warned = new WeakMap<WarnLog, Set<string>>();

/**
 * Warns, once per provider and logger, that a provider reports no usage and turns on it are charged
 * by the estimate. The provider id is the operator's (a bounded set); no tenant detail is logged.
 */
export function warnUsageEstimated(log: WarnLog | undefined, provider: string, model: string): void {
  if (!log) return;
  const providers = warned.get(log) ?? new Set<string>();
  warned.set(log, providers);
  if (providers.has(provider)) return;
  providers.add(provider);
  log.warn(
    { provider, model },
    'model provider reported no token usage: counting it with the tokenizer or the estimate (usage records say estimated)',
  );
}
