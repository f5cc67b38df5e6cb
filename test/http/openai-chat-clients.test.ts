import { createOpenAI } from '@ai-sdk/openai';
import { type AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, isStepCount, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { upstreamText, upstreamToolCall } from '../fakes/openai-chat-stream.ts';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// The AI SDK's OpenAI provider and LangChain's ChatOpenAI, pointed at a real Enclave server: both
// speak Chat Completions to it, and Enclave calls the fake OpenAI upstream for the agent's model.
let h: ProviderHarness;
let key: string;

beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [{ id: 'up', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' }],
    { TEST_OPENAI_KEY: 'sk-platform-openai' },
  );
  ({ key } = await h.tenant('chat-clients', { model: { provider: 'up', id: 'gpt-4o-mini' }, tools: [] }));
  const created = await h.call(
    'POST',
    '/v1/agents',
    {
      id: 'helper',
      name: 'helper',
      config: { system_prompt: 'You help.', tools: [], model: { provider: 'up', id: 'gpt-4o-mini' } },
    },
    { token: key },
  );
  expect(created.status).toBe(201);
}, 120_000);
afterAll(async () => {
  await h.close();
});

function upstreamMessages(index = -1): { role: string; content: unknown; tool_call_id?: string }[] {
  return (h.fake.requests.at(index)?.body as { messages: never[] } | undefined)?.messages ?? [];
}

const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
} as const;

describe('the AI SDK OpenAI provider against Enclave', () => {
  const model = () => createOpenAI({ baseURL: `${h.url}/v1`, apiKey: key }).chat('helper');

  it('generateText and streamText get the agent’s answer and usage', async () => {
    h.fake.script({ sse: upstreamText(['Generated', ' text']) });
    const generated = await generateText({ model: model(), prompt: 'Say something', maxRetries: 0 });
    expect(generated.text).toBe('Generated text');
    expect(generated.finishReason).toBe('stop');
    expect(generated.usage).toMatchObject({ inputTokens: 12, outputTokens: 5 });
    expect(upstreamMessages()[0]).toEqual({ role: 'system', content: 'You help.' });

    h.fake.script({ sse: upstreamText(['Streamed', ' text']) });
    const streamed = streamText({ model: model(), prompt: 'Stream something', maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe('Streamed text');
    expect(await streamed.usage).toMatchObject({ inputTokens: 12, outputTokens: 5 });
  });

  it('runs a client tool: the SDK executes it and sends the result back for the final answer', async () => {
    h.fake.script(
      { sse: upstreamToolCall('call_ai', 'get_weather', '{"city":"Oslo"}') },
      { sse: upstreamText(['Oslo is cold.']) },
    );
    const calls: unknown[] = [];
    const result = await generateText({
      model: model(),
      prompt: 'Weather in Oslo?',
      tools: {
        get_weather: tool({
          description: 'Weather in a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async (input) => {
            calls.push(input);
            return '-3°C';
          },
        }),
      },
      stopWhen: isStepCount(2),
      maxRetries: 0,
    });
    expect(calls).toEqual([{ city: 'Oslo' }]);
    expect(result.text).toBe('Oslo is cold.');
    const sent = upstreamMessages();
    expect(sent.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_ai' });
    expect(JSON.stringify(sent.at(-1)?.content)).toContain('-3°C');
  });
});

describe('LangChain ChatOpenAI against Enclave', () => {
  const chat = () =>
    new ChatOpenAI({ model: 'helper', apiKey: key, configuration: { baseURL: `${h.url}/v1` }, maxRetries: 0 });

  it('invoke and stream', async () => {
    h.fake.script({ sse: upstreamText(['Invoked']) });
    const invoked = await chat().invoke('Hello');
    expect(invoked.content).toBe('Invoked');

    h.fake.script({ sse: upstreamText(['Str', 'eam', 'ed']) });
    let text = '';
    for await (const piece of await chat().stream('Hello again')) text += String(piece.content);
    expect(text).toBe('Streamed');
  });

  it('bindTools round trip: the tool call comes back, and the ToolMessage continues it', async () => {
    const withTools = chat().bindTools([
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: weatherSchema } },
    ]);
    h.fake.script({ sse: upstreamToolCall('call_lc', 'get_weather', '{"city":"Rome"}') });
    const question = new HumanMessage('Weather in Rome?');
    const asked = (await withTools.invoke([question])) as AIMessage;
    expect(asked.tool_calls).toEqual([
      expect.objectContaining({ id: 'call_lc', name: 'get_weather', args: { city: 'Rome' } }),
    ]);

    h.fake.script({ sse: upstreamText(['Rome is warm.']) });
    const answered = await withTools.invoke([
      question,
      asked,
      new ToolMessage({ tool_call_id: 'call_lc', content: '25°C' }),
    ]);
    expect(answered.content).toBe('Rome is warm.');
    expect(upstreamMessages().at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_lc', content: '25°C' });
  });
});
