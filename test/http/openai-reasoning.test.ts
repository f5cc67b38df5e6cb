import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ResponseStreamEvent, responseStreamEventSchema } from '../../src/http/openai/open-responses-schema.ts';
import { upstreamReasoning, upstreamText } from '../fakes/openai-chat-stream.ts';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// A reasoning model behind an OpenAI-compatible upstream (the fake sends `reasoning_content`
// deltas, as DeepSeek and vLLM do), seen through the official `openai` SDK: Responses `reasoning`
// items, their streamed events (each parsed by the Open Responses schema), the stored response,
// and Chat Completions' `reasoning_content`.
let h: ProviderHarness;
let key: string;
let client: OpenAI;

const MODEL = 'deepseek-reasoner';

beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [
      {
        id: 'up',
        type: 'openai-compatible',
        baseUrl: `${url}/v1`,
        apiKeyEnv: 'TEST_GATEWAY_KEY',
        models: [MODEL],
      },
    ],
    { TEST_GATEWAY_KEY: 'gateway-platform-key' },
  );
  ({ key } = await h.tenant('reasoning', { model: { provider: 'up', id: MODEL }, tools: [] }));
  client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
}, 120_000);
afterAll(async () => {
  await h.close();
});

async function collect(stream: AsyncIterable<unknown>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(responseStreamEventSchema.parse(event));
  return events;
}

const reasoningItem = (text: string) => ({
  type: 'reasoning',
  summary: [],
  content: [{ type: 'reasoning_text', text }],
});

describe('reasoning through the Responses API', () => {
  it('answers a reasoning item before the message, and GET shows the same stored output', async () => {
    h.fake.script({ sse: upstreamReasoning(['The user ', 'greets me.'], ['Hello', '!']) });
    const response = await client.responses.create({ model: 'default', input: 'Hi' });
    expect(response.output).toMatchObject([
      reasoningItem('The user greets me.'),
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!' }] },
    ]);
    expect(response.output_text).toBe('Hello!');
    expect(await client.responses.retrieve(response.id)).toEqual(response);

    // The stored assistant message keeps the reasoning beside its text (Enclave's own API shows it).
    const turnId = response.id.replace('resp_', 'msg_');
    const turn = await h.call('GET', `/v1/turns/${turnId}`, undefined, { token: key });
    expect(turn.body.reply.content).toEqual([
      { type: 'reasoning', text: 'The user greets me.' },
      { type: 'text', text: 'Hello!' },
    ]);

    // Chaining from it: the model gets the earlier answer back, never its reasoning.
    h.fake.script({ sse: upstreamText(['Fine.']) });
    await client.responses.create({ model: 'default', input: 'And?', previous_response_id: response.id });
    const sent = JSON.stringify(h.fake.requests.at(-1)?.body);
    expect(sent).toContain('Hello!');
    expect(sent).not.toContain('greets me');
  });

  it('streams the reasoning item with its events, each valid, and the SDK builds the same output', async () => {
    h.fake.script({ sse: upstreamReasoning(['Think', 'ing.'], ['Done']) });
    const stream = client.responses.stream({ model: 'default', input: 'Stream it' });
    const events = await collect(stream);
    const final = await stream.finalResponse();
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[4]).toMatchObject({ output_index: 0, content_index: 0, delta: 'Think' });
    expect(events[6]).toMatchObject({ output_index: 0, text: 'Thinking.' });
    expect(events[9]).toMatchObject({ output_index: 1 });
    expect(final.output).toMatchObject([reasoningItem('Thinking.'), { type: 'message' }]);
    const completed = events.at(-1) as Extract<ResponseStreamEvent, { type: 'response.completed' }>;
    expect(await client.responses.retrieve(final.id)).toMatchObject(completed.response);
    // A resumed stream re-encodes the same events from the turn's log.
    const resumed = await collect(await client.responses.retrieve(final.id, { stream: true, starting_after: 5 }));
    expect(resumed).toEqual(events.slice(6));
  });

  it('accepts reasoning items handed back in input, and does not send them to the model', async () => {
    h.fake.script({ sse: upstreamReasoning(['Hmm.'], ['One']) });
    const first = await client.responses.create({ model: 'default', input: 'Count', store: false });
    h.fake.script({ sse: upstreamText(['Two']) });
    const second = await client.responses.create({
      model: 'default',
      store: false,
      input: [
        { role: 'user', content: 'Count' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { role: 'user', content: 'Next' },
      ],
    });
    expect(second.output_text).toBe('Two');
    expect(JSON.stringify(h.fake.requests.at(-1)?.body)).not.toContain('Hmm.');
  });

  it('lists the reasoning as a conversation item before the message it led to', async () => {
    const conversation = await client.conversations.create({});
    h.fake.script({ sse: upstreamReasoning(['Ponder.'], ['Answer']) });
    await client.responses.create({ model: 'default', input: 'Ask', conversation: conversation.id });
    const items = await client.conversations.items.list(conversation.id, { order: 'asc' });
    expect(items.data.map((item) => item.type)).toEqual(['message', 'reasoning', 'message']);
    expect(items.data[1]).toMatchObject(reasoningItem('Ponder.'));
    const refused = await client.conversations.items
      .create(conversation.id, { items: [{ type: 'reasoning', id: 'rs_1', summary: [] }] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('adds nothing to a response whose model gives no reasoning', async () => {
    h.fake.script({ sse: upstreamText(['Plain']) });
    const response = await client.responses.create({ model: 'default', input: 'Plain?' });
    expect(response.output.map((item) => item.type)).toEqual(['message']);
  });
});

describe("reasoning through Enclave's own API", () => {
  it('streams reasoning-delta events before the text, and stores the reasoning with the reply', async () => {
    h.fake.script({ sse: upstreamReasoning(['Why ', 'not.'], ['Sure']) });
    const turn = await h.turn(key, 'May I?', { stream: true });
    const names = turn.events.map((event) => event.event);
    expect(names).toEqual(['turn-start', 'reasoning-delta', 'reasoning-delta', 'text-delta', 'turn-end']);
    expect(turn.events[1]?.data).toMatchObject({ seq: 2, delta: 'Why ' });
    expect(turn.events.at(-1)?.data.messages.at(-1).content).toEqual([
      { type: 'reasoning', text: 'Why not.' },
      { type: 'text', text: 'Sure' },
    ]);
  });
});

describe('reasoning through a JSON turn', () => {
  it('keeps the reasoning of a non-streamed model call too', async () => {
    h.fake.script({
      status: 200,
      body: {
        id: 'chatcmpl-up',
        object: 'chat.completion',
        created: 1,
        model: MODEL,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Sure', reasoning_content: 'Because.' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
      },
    });
    const turn = await h.turn(key, 'Plain JSON?');
    expect(turn.status).toBe(200);
    expect(turn.body.reply.content).toEqual([
      { type: 'reasoning', text: 'Because.' },
      { type: 'text', text: 'Sure' },
    ]);
  });
});

describe('reasoning through Chat Completions', () => {
  it('gives reasoning_content on the message and on stream deltas', async () => {
    h.fake.script({ sse: upstreamReasoning(['Short ', 'thought.'], ['Yes']) });
    const completion = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Q?' }],
    });
    expect(completion.choices[0]?.message).toMatchObject({ content: 'Yes', reasoning_content: 'Short thought.' });

    h.fake.script({ sse: upstreamReasoning(['A', 'B'], ['C']) });
    const stream = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Q?' }],
      stream: true,
    });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    expect({ reasoning, content }).toEqual({ reasoning: 'AB', content: 'C' });

    // The message handed back with its reasoning_content is accepted; the model does not get the reasoning.
    h.fake.script({ sse: upstreamText(['No thoughts']) });
    const plain = await client.chat.completions.create({
      model: 'default',
      messages: [
        { role: 'user', content: 'Q?' },
        { ...completion.choices[0]?.message, role: 'assistant' } as OpenAI.Chat.ChatCompletionMessageParam,
        { role: 'user', content: 'Q' },
      ],
    });
    expect(plain.choices[0]?.message).not.toHaveProperty('reasoning_content');
    expect(JSON.stringify(h.fake.requests.at(-1)?.body)).not.toContain('Short thought.');
  });
});
