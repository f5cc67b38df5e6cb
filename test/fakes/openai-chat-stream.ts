// Upstream answers for the fake OpenAI server (test/fakes/fake-llm-server.ts `sse` steps): Chat
// Completions chunk streams as OpenAI sends them, built per test where no fixture fits.

const MODEL = 'gpt-4o-mini';

/** An upstream stream of chat chunks: the text in pieces, then `finish`, then usage when given. */
export function upstreamText(
  pieces: string[],
  usage: { prompt: number; completion: number } | null = { prompt: 12, completion: 5 },
) {
  const base = { id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: MODEL };
  return [
    { data: { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] } },
    ...pieces.map((content) => ({
      data: { ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] },
    })),
    { data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } },
    ...(usage
      ? [
          {
            data: {
              ...base,
              choices: [],
              usage: {
                prompt_tokens: usage.prompt,
                completion_tokens: usage.completion,
                total_tokens: usage.prompt + usage.completion,
              },
            },
          },
        ]
      : []),
    { data: '[DONE]' },
  ];
}

/** An upstream stream whose model calls `name` with `args`. */
export function upstreamToolCall(id: string, name: string, args: string) {
  const base = { id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: MODEL };
  return [
    {
      data: {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              role: 'assistant',
              content: null,
              tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: args } }],
            },
            finish_reason: null,
          },
        ],
      },
    },
    { data: { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] } },
    { data: { ...base, choices: [], usage: { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 } } },
    { data: '[DONE]' },
  ];
}

/**
 * An upstream stream of a reasoning model as DeepSeek and vLLM send it: `reasoning_content` deltas
 * first, then the answer as `content`, then usage.
 */
export function upstreamReasoning(thoughts: string[], pieces: string[]) {
  const base = { id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: MODEL };
  const [first, ...rest] = upstreamText(pieces, { prompt: 12, completion: 9 });
  if (!first) throw new Error('upstreamText starts with the role chunk');
  return [
    first,
    ...thoughts.map((reasoning_content) => ({
      data: { ...base, choices: [{ index: 0, delta: { reasoning_content }, finish_reason: null }] },
    })),
    ...rest,
  ];
}
