import { createOpenAICompatible, type OpenAICompatibleChatLanguageModel } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { resolveLanguageModel } from 'ai/internal';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { leanChatModel } from './lean-chat-model.ts';
import { loadProviderPackage, type ProviderPackage } from './provider-package.ts';

/**
 * The lean stream must be the package's stream, part for part: each case streams the same SSE body
 * (split into the same chunks) through the package's own `doStream` and through the lean one, and
 * compares the parts, the errors, and the request each sent. No socket is opened: `fetch` is a stub.
 */

const sse = (...events: unknown[]) =>
  events.map((event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`).join('');
const chunk = (delta: Record<string, unknown> | null, finish: string | null = null, extra: object = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_741_570_283,
  model: 'm',
  choices: delta === null ? [] : [{ index: 0, delta, finish_reason: finish }],
  ...extra,
});
const usage = { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 };

const CASES: Record<string, string> = {
  text: sse(
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'Hello' }),
    chunk({ content: ' world' }),
    chunk({}, 'stop'),
    chunk(null, null, { usage }),
    '[DONE]',
  ),
  reasoning: sse(
    chunk({ role: 'assistant', reasoning_content: 'Think' }),
    chunk({ reasoning: ' more' }),
    chunk({
      content: [
        { type: 'thinking', thinking: [{ type: 'text', text: 'deep' }] },
        { type: 'text', text: 'Hi' },
      ],
    }),
    chunk({}, 'length', {
      usage: { ...usage, completion_tokens_details: { reasoning_tokens: 2, accepted_prediction_tokens: 1 } },
    }),
  ),
  refusal: sse(chunk({ refusal: 'No.' }), chunk({ refusal: false, content: 'x' }), chunk({}, 'stop')),
  toolCalls: sse(
    chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
    chunk({
      tool_calls: [
        { index: 1, id: 'call_b', function: { name: 'sum', arguments: '{"a":1}' } },
        { index: 2, id: 'call_c', function: { arguments: '{}' } },
      ],
    }),
    chunk({}, 'tool_calls', { usage }),
  ),
  googleToolCall: sse(
    chunk({
      tool_calls: [
        {
          id: 'g1',
          function: { name: 'lookup', arguments: '{"q":"y"}' },
          extra_content: { google: { thought_signature: 'sig' } },
        },
      ],
    }),
    chunk({}, 'tool_calls'),
  ),
  notJson: sse(chunk({ content: 'a' }), '{not json', chunk({}, 'stop')),
  errorChunk: sse(chunk({ content: 'a' }), { error: { message: 'overloaded', type: 'server_error', code: 'x' } }),
  schemaMismatch: sse(chunk({ content: 'a' }), { id: 'x', choices: 'none' }, chunk({ content: 7 }), chunk({}, 'stop')),
  noFinish: sse(chunk({ content: 'cut' })),
  crlfAndComments:
    ': keep-alive\r\n\r\nevent: message\r\ndata: {"choices":[{"delta":{"content":"a"}}]}\r\n\r\ndata: {"choices":[{"delta":{},"finish_reason":"stop"}]}\r\n\r\n',
  multiLineData:
    'data: {"choices":[{"delta":\ndata: {"content":"two lines"}}]}\n\ndata: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n',
  unicode: sse(chunk({ content: 'héllo 🌍 ✓' }), chunk({}, 'stop')),
  trailingWithoutBlankLine: `${sse(chunk({ content: 'a' }))}data: ${JSON.stringify(chunk({}, 'stop'))}`,
};

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A model whose fetch answers `body` in `pieces` (byte offsets), and records what it was sent. */
function models(pkg: ProviderPackage, body: string, cuts: number[] = [], answer: { status?: number } = {}) {
  const sent: Sent[] = [];
  const bytes = new TextEncoder().encode(body);
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: String(url),
      headers: Object.fromEntries(new Headers(init?.headers)),
      body: JSON.parse(String(init?.body)),
    });
    const bounds = [0, ...cuts.filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b), bytes.length];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 1; index < bounds.length; index++) {
          controller.enqueue(bytes.slice(bounds[index - 1], bounds[index]));
        }
        controller.close();
      },
    });
    return new Response(stream, {
      status: answer.status ?? 200,
      headers: { 'content-type': answer.status ? 'application/json' : 'text/event-stream' },
    });
  };
  const model = createOpenAICompatible({
    name: 'bench',
    baseURL: 'http://127.0.0.1:9/v1',
    apiKey: 'k',
    includeUsage: true,
    fetch,
  }).chatModel('m') as OpenAICompatibleChatLanguageModel;
  return { standard: resolveLanguageModel(model) as LanguageModelV4, lean: leanChatModel(model, pkg), sent };
}

const CALL: LanguageModelV4CallOptions = {
  prompt: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    {
      role: 'assistant',
      content: [{ type: 'tool-call', toolCallId: 'c0', toolName: 'lookup', input: { q: 'z' } }],
    },
    {
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: 'c0', toolName: 'lookup', output: { type: 'json', value: [1] } }],
    },
  ],
  temperature: 0.2,
  maxOutputTokens: 50,
  stopSequences: ['END'],
  seed: 3,
  tools: [{ type: 'function', name: 'lookup', description: 'Looks up', inputSchema: { type: 'object' } }],
  toolChoice: { type: 'auto' },
};

/** The parts of one streamed call, or the error it failed with (ids the package generates are masked). */
async function streamed(model: LanguageModelV4, call = CALL): Promise<unknown> {
  let result: Awaited<ReturnType<LanguageModelV4['doStream']>>;
  try {
    result = await model.doStream(call);
  } catch (error) {
    return { rejected: describeError(error) };
  }
  const parts: unknown[] = [];
  const reader = result.stream.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      parts.push(normalize(next.value));
    }
  } catch (error) {
    parts.push({ streamError: describeError(error) });
  }
  return { parts, request: result.request, headers: result.response?.headers };
}

function normalize(part: LanguageModelV4StreamPart): unknown {
  if (part.type === 'error') return { type: 'error', error: describeError(part.error) };
  return part;
}

function describeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { statusCode, isRetryable, responseBody } = error as Error & Record<string, unknown>;
  return { name: error.name, message: error.message, statusCode, isRetryable, responseBody };
}

describe('the lean OpenAI-compatible chat stream', () => {
  let pkg: ProviderPackage;
  beforeAll(async () => {
    pkg = await loadProviderPackage();
  });

  it.each(Object.entries(CASES))('streams %s exactly as the package does', async (_name, body) => {
    const { standard, lean, sent } = models(pkg, body);
    const expected = await streamed(standard);
    const actual = await streamed(lean);
    expect(actual).toEqual(expected);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
  });

  it('gives the same parts however the body is cut into reads', async () => {
    const bodies = Object.values(CASES);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodies),
        fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 12 }),
        async (body, cuts) => {
          const { standard, lean } = models(pkg, body, cuts);
          expect(await streamed(lean)).toEqual(await streamed(standard));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fails an error answer with the same error as the package', async () => {
    const body = JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit', code: '429' } });
    const { standard, lean } = models(pkg, body, [], { status: 429 });
    const expected = await streamed(standard);
    expect(expected).toMatchObject({ rejected: { statusCode: 429, isRetryable: true } });
    expect(await streamed(lean)).toEqual(expected);
  });

  it('sends file parts as the package does', async () => {
    const { standard, lean, sent } = models(pkg, CASES.text as string);
    const withFile: LanguageModelV4CallOptions = {
      prompt: [
        {
          role: 'user',
          content: [
            { type: 'file', mediaType: 'image/png', data: { type: 'url', url: new URL('https://x.test/a.png') } },
          ],
        },
      ],
    };
    expect(await streamed(lean, withFile)).toEqual(await streamed(standard, withFile));
    expect(sent[1]).toEqual(sent[0]);
  });

  it("fails a body that breaks off with the package's retryable call error", async () => {
    const bytes = new TextEncoder().encode(sse(chunk({ content: 'a' })));
    const model = createOpenAICompatible({
      name: 'bench',
      baseURL: 'http://127.0.0.1:9/v1',
      includeUsage: true,
      fetch: async () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(bytes);
              // As a cut connection does: later, once the output so far was read.
              const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
              setTimeout(() => controller.error(new TypeError('terminated', { cause: socket })), 20);
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    }).chatModel('m') as OpenAICompatibleChatLanguageModel;
    const lean = await streamed(leanChatModel(model, pkg));
    expect(lean).toEqual(await streamed(resolveLanguageModel(model) as LanguageModelV4));
    expect(lean).toMatchObject({
      parts: expect.arrayContaining([
        {
          streamError: expect.objectContaining({ message: 'Failed to process successful response', isRetryable: true }),
        },
      ]),
    });
  });
});
