import { setTimeout as sleep } from 'node:timers/promises';
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4Message,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import { estimateTokens } from '../../core/agents/estimate-tokens.ts';
import { RESPONSE_LANGUAGES, type ResponseLanguage } from '../../core/tenants/response-language.ts';
import { isSummaryRequest, simulatedSummary } from './simulated-summary.ts';

/** Characters of earlier conversation the simulated reply quotes at most. */
const CONTEXT_QUOTE_CHARS = 240;

type Plan = { kind: 'text'; text: string } | { kind: 'tool-call'; toolCallId: string; toolName: string; input: string };

/** Reply templates per response language. English is the original reply, byte for byte. */
const TEMPLATES: Record<
  ResponseLanguage,
  { reply(message: string, context: string): string; returned(toolName: string, value: string): string }
> = {
  en: {
    reply: (message, context) => `Agent response to '${message}' with context: ${context}`,
    returned: (toolName, value) => `${toolName} returned ${value}`,
  },
  es: {
    reply: (message, context) => `Respuesta del agente a '${message}' con contexto: ${context}`,
    returned: (toolName, value) => `${toolName} devolvió ${value}`,
  },
  fr: {
    reply: (message, context) => `Réponse de l'agent à '${message}' avec le contexte : ${context}`,
    returned: (toolName, value) => `${toolName} a renvoyé ${value}`,
  },
  de: {
    reply: (message, context) => `Antwort des Agenten auf '${message}' mit Kontext: ${context}`,
    returned: (toolName, value) => `${toolName} lieferte ${value}`,
  },
  ja: {
    reply: (message, context) => `「${message}」へのエージェントの応答。コンテキスト: ${context}`,
    returned: (toolName, value) => `${toolName} の結果: ${value}`,
  },
};

const LANGUAGE_BY_NAME = new Map(
  Object.entries(RESPONSE_LANGUAGES).map(([tag, name]) => [name as string, tag as ResponseLanguage]),
);

/** The language the last `Respond in <Language>.` of the system instructions names; English without one. */
function replyLanguage(prompt: LanguageModelV4CallOptions['prompt']): ResponseLanguage {
  let language: ResponseLanguage = 'en';
  for (const message of prompt) {
    if (message.role !== 'system') continue;
    for (const match of message.content.matchAll(/\bRespond in ([A-Z][a-z]+)\./g)) {
      language = LANGUAGE_BY_NAME.get(match[1] ?? '') ?? language;
    }
  }
  return language;
}

/** The expression after "calculate" in a message, up to a question mark, exclamation mark or line end. */
function calculationIn(message: string): string | null {
  const match = /\bcalculate\s+([^?!\n]+)/i.exec(message);
  let expression = match?.[1]?.trim() ?? '';
  // A loop, not /[.\s]+$/: that regex is quadratic on long runs of dots and spaces.
  while (expression.endsWith('.')) expression = expression.slice(0, -1).trimEnd();
  return expression ? expression : null;
}

/** The phrase after "search history for" in a message, up to a question mark, exclamation mark or line end. */
function searchTermIn(message: string): string | null {
  const match = /\bsearch (?:the )?history for\s+([^?!\n]+)/i.exec(message);
  let term = match?.[1]?.trim() ?? '';
  while (term.endsWith('.')) term = term.slice(0, -1).trimEnd();
  return term ? term.slice(0, 200) : null;
}

function textOf(message: LanguageModelV4Message): string {
  if (message.role === 'system') return message.content;
  let text = '';
  for (const part of message.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-result') text += JSON.stringify(part.output);
    else if (part.type === 'tool-call') text += JSON.stringify(part.input);
  }
  return text;
}

/** Earlier user messages in the prompt, oldest first, trimmed to the newest few hundred characters. */
function contextQuote(prompt: LanguageModelV4CallOptions['prompt'], lastUserIndex: number): string {
  const earlier = prompt
    .slice(0, lastUserIndex)
    .filter((message) => message.role === 'user')
    .map(textOf);
  const joined = earlier.join(' ');
  if (joined.length <= CONTEXT_QUOTE_CHARS) return joined;
  const tail = joined.slice(-CONTEXT_QUOTE_CHARS);
  const space = tail.indexOf(' ');
  return space === -1 ? tail : tail.slice(space + 1);
}

/**
 * The input of a named tool call: a JSON object written right after the tool's name
 * (`run echo {"message":"hi"}`), or `{}` when there is none (or it does not parse).
 */
function toolInputAfter(message: string, toolName: string): string {
  const after = message.slice(message.indexOf(toolName) + toolName.length).trimStart();
  if (!after.startsWith('{')) return '{}';
  for (let end = after.lastIndexOf('}'); end > 0; end = after.lastIndexOf('}', end - 1)) {
    try {
      const value: unknown = JSON.parse(after.slice(0, end + 1));
      if (value && typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
    } catch {
      // a shorter prefix may parse
    }
  }
  return '{}';
}

function toolResultsAfter(
  prompt: LanguageModelV4CallOptions['prompt'],
  index: number,
): { toolName: string; value: string }[] {
  const results: { toolName: string; value: string }[] = [];
  for (const message of prompt.slice(index + 1)) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type !== 'tool-result') continue;
      const output = part.output;
      const value = 'value' in output ? output.value : output.type;
      results.push({ toolName: part.toolName, value: typeof value === 'string' ? value : JSON.stringify(value) });
    }
  }
  return results;
}

/**
 * Decides the next step, once per turn: `calculator` (when offered) with the expression after
 * "calculate", or another offered tool the user names; otherwise answer in the language the
 * system instructions ask for.
 */
function plan(options: LanguageModelV4CallOptions): Plan {
  const { prompt } = options;
  const lastUserIndex = prompt.findLastIndex((message) => message.role === 'user');
  const lastUser = lastUserIndex === -1 ? undefined : prompt[lastUserIndex];
  const message = lastUser ? textOf(lastUser) : '';
  // A rolling-summary request (src/core/context/rolling-summary.ts) gets a deterministic summary.
  if (isSummaryRequest(prompt)) return { kind: 'text', text: simulatedSummary(message) };
  const results = toolResultsAfter(prompt, lastUserIndex);
  if (results.length === 0) {
    const searchTerm = searchTermIn(message);
    if (searchTerm && options.tools?.some((tool) => tool.type === 'function' && tool.name === 'search_history')) {
      const input = JSON.stringify({ query: searchTerm });
      return {
        kind: 'tool-call',
        toolCallId: `call_search_history_${prompt.length}`,
        toolName: 'search_history',
        input,
      };
    }
    const calculation = calculationIn(message);
    const calculator = options.tools?.some((tool) => tool.type === 'function' && tool.name === 'calculator');
    if (calculator && calculation) {
      const input = JSON.stringify({ expression: calculation });
      return { kind: 'tool-call', toolCallId: `call_calculator_${prompt.length}`, toolName: 'calculator', input };
    }
    for (const tool of options.tools ?? []) {
      // The calculator needs an expression, so naming it alone does not call it.
      if (tool.type === 'function' && tool.name !== 'calculator' && new RegExp(`\\b${tool.name}\\b`).test(message)) {
        // Derived from the prompt, not a shared counter: the model instance serves every tenant,
        // and a global counter would let one tenant observe another's activity.
        const toolCallId = `call_${tool.name}_${prompt.length}`;
        return { kind: 'tool-call', toolCallId, toolName: tool.name, input: toolInputAfter(message, tool.name) };
      }
    }
  }
  const template = TEMPLATES[replyLanguage(prompt)];
  let text = template.reply(message, contextQuote(prompt, Math.max(lastUserIndex, 0)));
  if (results.length > 0) {
    text += ` (${results.map((result) => template.returned(result.toolName, result.value)).join('; ')})`;
  }
  return { kind: 'text', text };
}

function usageFor(options: LanguageModelV4CallOptions, output: string): LanguageModelV4Usage {
  let input = 0;
  for (const message of options.prompt) input += estimateTokens(textOf(message));
  const outputTokens = estimateTokens(output);
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

/** Splits text into word-sized deltas that concatenate back to the original. */
export function wordDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export interface SimulatedModelOptions {
  /**
   * Milliseconds to wait before each streamed word, and per word before a generated reply, so a
   * turn stays running long enough to be cancelled. Default 0: answers at once. Set by tests
   * through `createEnclave`; not a setting users can reach. The wait ends early on abort.
   */
  wordDelayMs?: number;
}

/** Waits `ms` unless `signal` aborts first, then throws the abort reason. */
async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}

/**
 * A deterministic model that implements the AI SDK language model interface, so it runs
 * through exactly the same code path as a real provider. It replies
 * `Agent response to '<message>' with context: <earlier user messages>`, streams word by word,
 * reports estimated token usage, and calls a tool when the user message names an offered tool
 * (`calculator`: "calculate <expression>"). A `Respond in <Language>.` system instruction picks a
 * localised reply (es, fr, de, ja).
 */
export function createSimulatedModel(modelId = 'simulated-1', options: SimulatedModelOptions = {}): LanguageModelV4 {
  const wordDelayMs = options.wordDelayMs ?? 0;
  return {
    specificationVersion: 'v4',
    provider: 'simulated',
    modelId,
    supportedUrls: {},

    async doGenerate(options): Promise<LanguageModelV4GenerateResult> {
      options.abortSignal?.throwIfAborted();
      const step = plan(options);
      if (step.kind === 'tool-call') {
        const content: LanguageModelV4Content[] = [{ type: 'tool-call', ...step }];
        return {
          content,
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: usageFor(options, step.input),
          warnings: [],
        };
      }
      await wait(wordDelayMs * wordDeltas(step.text).length, options.abortSignal);
      return {
        content: [{ type: 'text', text: step.text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usageFor(options, step.text),
        warnings: [],
      };
    },

    async doStream(options) {
      options.abortSignal?.throwIfAborted();
      const step = plan(options);
      const parts: LanguageModelV4StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      if (step.kind === 'tool-call') {
        parts.push(
          { type: 'tool-input-start', id: step.toolCallId, toolName: step.toolName },
          { type: 'tool-input-delta', id: step.toolCallId, delta: step.input },
          { type: 'tool-input-end', id: step.toolCallId },
          { type: 'tool-call', ...step },
          {
            type: 'finish',
            usage: usageFor(options, step.input),
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          },
        );
      } else {
        parts.push({ type: 'text-start', id: 'text-0' });
        for (const delta of wordDeltas(step.text)) parts.push({ type: 'text-delta', id: 'text-0', delta });
        parts.push(
          { type: 'text-end', id: 'text-0' },
          { type: 'finish', usage: usageFor(options, step.text), finishReason: { unified: 'stop', raw: 'stop' } },
        );
      }
      const signal = options.abortSignal;
      let index = 0;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async pull(controller) {
          if (wordDelayMs > 0 && parts[index]?.type === 'text-delta') {
            await wait(wordDelayMs, signal).catch(() => undefined);
          }
          if (signal?.aborted) {
            controller.error(signal.reason);
            return;
          }
          const part = parts[index++];
          if (part) controller.enqueue(part);
          else controller.close();
        },
      });
      return { stream };
    },
  };
}
