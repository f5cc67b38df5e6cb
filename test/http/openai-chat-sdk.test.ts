import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upstreamText, upstreamToolCall } from '../fakes/openai-chat-stream.ts';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// The official `openai` SDK against a real Enclave server on a loopback port, whose tenant's models
// are served by the fake OpenAI-compatible upstream (test/fakes/fake-llm-server.ts).
let h: ProviderHarness;
let key: string;
let client: OpenAI;

const MODEL = 'gpt-4o-mini';

beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [
      {
        id: 'up',
        type: 'openai',
        api: 'chat',
        baseUrl: `${url}/v1`,
        apiKeyEnv: 'TEST_OPENAI_KEY',
        models: [MODEL, 'gpt-4o'],
      },
    ],
    { TEST_OPENAI_KEY: 'sk-platform-openai' },
  );
  ({ key } = await h.tenant('chat-sdk', {
    model: { provider: 'up', id: MODEL },
    tools: [],
    systemPrompt: 'You are the default agent.',
  }));
  const created = await h.call(
    'POST',
    '/v1/agents',
    {
      id: 'support',
      name: 'Support bot',
      config: { system_prompt: 'You are Support.', language: 'fr', tools: [], model: { provider: 'up', id: MODEL } },
    },
    { token: key },
  );
  expect(created.status).toBe(201);
  client = new OpenAI({ apiKey: key, baseURL: `${h.url}/v1`, maxRetries: 0 });
}, 120_000);
afterAll(async () => {
  await h.close();
});

/** The last request the upstream received, as the provider sent it. */
function lastUpstream(): { messages: { role: string; content: unknown }[]; [key: string]: unknown } {
  return h.fake.requests.at(-1)?.body as never;
}

describe('chat completions through the openai SDK', () => {
  it('answers a non-streamed completion as the agent: its prompt and language first, then the caller’s messages', async () => {
    h.fake.script({ sse: upstreamText(['Bonjour', ' !']) });
    const completion = await client.chat.completions.create({
      model: 'support',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 50,
      stop: ['END'],
      seed: 7,
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'support',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Bonjour !' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    const sent = lastUpstream();
    expect(sent.messages[0]?.role).toBe('system');
    expect(String(sent.messages[0]?.content)).toContain('You are Support.');
    expect(String(sent.messages[0]?.content)).toMatch(/French|français/i);
    expect(sent.messages.slice(1)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello' },
    ]);
    expect(sent).toMatchObject({ model: MODEL, temperature: 0.2, top_p: 0.9, max_tokens: 50, stop: ['END'], seed: 7 });
  });

  it('finds an agent by its name, and calls a plain provider/model as a gateway without any agent prompt', async () => {
    h.fake.script({ sse: upstreamText(['by name']) }, { sse: upstreamText(['plain']) });
    const byName = await client.chat.completions.create({
      model: 'Support bot',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(byName.choices[0]?.message.content).toBe('by name');
    expect(String(lastUpstream().messages[0]?.content)).toContain('You are Support.');

    const plain = await client.chat.completions.create({
      model: 'up/gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(plain.choices[0]?.message.content).toBe('plain');
    expect(lastUpstream()).toMatchObject({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('streams chunks with include_usage, ending in [DONE], and records the usage', async () => {
    h.fake.script({ sse: upstreamText(['Hel', 'lo', ' there']) });
    const stream = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const part of stream) chunks.push(part);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((part) => part.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Hello there');
    const finish = chunks.find((part) => part.choices[0]?.finish_reason);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(new Set(chunks.map((part) => part.id)).size).toBe(1);
    expect(chunks.slice(0, -1).every((part) => part.usage === null)).toBe(true);

    const records = await h.call('GET', '/v1/usage/records', undefined, { token: key });
    const turnId = last?.id.replace('chatcmpl-', '');
    expect(records.body.data.find((record: { turn_id: string }) => record.turn_id === turnId)).toMatchObject({
      input_tokens: 12,
      output_tokens: 5,
      estimated: false,
    });
  });

  it('charges a streamed completion whose upstream sends no usage by the estimate, marked estimated', async () => {
    h.fake.script({ sse: upstreamText(['Counted reply'], null) });
    const stream = await client.chat.completions.create({
      model: 'up/gpt-4o-mini',
      messages: [{ role: 'user', content: 'No usage upstream' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    let id = '';
    for await (const part of stream) {
      id = part.id;
      if (part.usage) usage = part.usage;
    }
    // Counted by the model family's tokenizer (o200k for gpt-4o-mini), not charged 0.
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    const records = await h.call('GET', '/v1/usage/records', undefined, { token: key });
    expect(records.body.data.find((record: { turn_id: string }) => `chatcmpl-${record.turn_id}` === id)).toMatchObject({
      estimated: true,
      input_tokens: usage?.prompt_tokens,
      output_tokens: usage?.completion_tokens,
    });
  });

  it('returns a client tool call with finish_reason tool_calls, and continues with the role:"tool" message', async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    h.fake.script({ sse: upstreamToolCall('call_1', 'get_weather', '{"city":"Paris"}') });
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
    ];
    const first = await client.chat.completions.create({ model: 'support', messages, tools });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(lastUpstream().tools).toEqual([
      expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'get_weather' }) }),
    ]);

    messages.push(choice?.message as OpenAI.Chat.Completions.ChatCompletionMessageParam, {
      role: 'tool',
      tool_call_id: 'call_1',
      content: '18°C and sunny',
    });
    h.fake.script({ sse: upstreamText(['It is 18°C in Paris.']) });
    const second = await client.chat.completions.create({ model: 'support', messages, tools });
    expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'It is 18°C in Paris.' } });
    const sent = lastUpstream().messages;
    expect(sent.at(-2)).toMatchObject({
      role: 'assistant',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    });
    expect(sent.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '18°C and sunny' });
  });

  it('streams a client tool call as tool_calls deltas', async () => {
    h.fake.script({ sse: upstreamToolCall('call_2', 'lookup', '{"q":"x"}') });
    const stream = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'Look it up' }],
      tools: [
        {
          type: 'function',
          function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
        },
      ],
      stream: true,
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const part of stream) chunks.push(part);
    const calls = chunks.flatMap((part) => part.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([
      { index: 0, id: 'call_2', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
    ]);
    expect(chunks.find((part) => part.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('passes a json_schema response format to the model, and the SDK parses the structured output', async () => {
    h.fake.script({ sse: upstreamText(['{"city":"Paris",', '"temperature":18}']) });
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, temperature: { type: 'number' } },
      required: ['city', 'temperature'],
      additionalProperties: false,
    };
    const parsed = await client.chat.completions.parse({
      model: 'support',
      messages: [{ role: 'user', content: 'Weather as JSON' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    expect(parsed.choices[0]?.message.parsed).toEqual({ city: 'Paris', temperature: 18 });
    expect(lastUpstream().response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'weather', schema: expect.objectContaining({ required: ['city', 'temperature'] }) },
    });

    h.fake.script({ sse: upstreamText(['{"ok":true}']) });
    await client.chat.completions.create({
      model: 'support',
      messages: [{ role: 'user', content: 'JSON please' }],
      response_format: { type: 'json_object' },
    });
    expect(lastUpstream().response_format).toEqual({ type: 'json_object' });
  });

  it('keeps a call with store: true as a session, and stores nothing for a stateless one', async () => {
    const before = await h.call('GET', '/v1/sessions', undefined, { token: key });
    h.fake.script({ sse: upstreamText(['Kept']) });
    const kept = await client.chat.completions.create({
      model: 'support',
      messages: [{ role: 'user', content: 'Remember this call' }],
      store: true,
      metadata: { ticket: 'T-1' },
    });
    const after = await h.call('GET', '/v1/sessions', undefined, { token: key });
    expect(after.body.data.length).toBe(before.body.data.length + 1);
    const session = after.body.data[0];
    expect(session).toMatchObject({ metadata: { ticket: 'T-1', source: 'chat.completions' }, agent_id: 'support' });
    const messages = await h.call('GET', `/v1/sessions/${session.id}/messages`, undefined, { token: key });
    const texts = messages.body.data.map((message: { role: string; content: { text?: string }[] }) => [
      message.role,
      message.content.map((part) => part.text ?? '').join(''),
    ]);
    expect(texts).toEqual([
      ['user', 'Remember this call'],
      ['assistant', 'Kept'],
    ]);
    expect(kept.id).toBe(`chatcmpl-${messages.body.data[0].id}`);
  });

  it('refuses unsupported parameters with a 400 BadRequestError naming the parameter', async () => {
    const attempts: [Record<string, unknown>, string][] = [
      [{ n: 2 }, 'n'],
      [{ logprobs: true }, 'logprobs'],
      [{ audio: { voice: 'alloy', format: 'mp3' } }, 'audio'],
      [{ modalities: ['text', 'audio'] }, 'modalities'],
      [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
    ];
    for (const [extra, param] of attempts) {
      const error = await client.chat.completions
        .create({ model: 'support', messages: [{ role: 'user', content: 'x' }], ...extra } as never)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', param, type: 'invalid_request_error' });
    }
  });

  it('maps errors to the SDK error classes: unknown model 404, bad key 401, invalid body 422', async () => {
    const missing = await client.chat.completions
      .create({ model: 'nobody', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'model_not_found' });

    const notAllowed = await client.chat.completions
      .create({ model: 'up/gpt-5-not-offered', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(notAllowed).toMatchObject({ status: 404, code: 'model_not_found' });

    const stranger = new OpenAI({ apiKey: 'sk-not-a-key', baseURL: `${h.url}/v1`, maxRetries: 0 });
    const unauthenticated = await stranger.chat.completions
      .create({ model: 'support', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(unauthenticated).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unauthenticated).toMatchObject({ status: 401, code: 'unauthenticated' });

    const invalid = await client.chat.completions
      .create({ model: 'support', messages: [] })
      .catch((caught: unknown) => caught);
    expect(invalid).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(invalid).toMatchObject({ status: 422, code: 'validation_failed', param: 'messages' });
  });

  it('runs a call once per Idempotency-Key: the retry gets the first completion, the upstream is called once', async () => {
    h.fake.script({ sse: upstreamText(['Only once']) });
    const calls = h.fake.requests.length;
    const body = { model: 'support', messages: [{ role: 'user' as const, content: 'Exactly once' }] };
    const first = await client.chat.completions
      .create(body, { headers: { 'Idempotency-Key': 'chat-key-1' } })
      .withResponse();
    const again = await client.chat.completions
      .create(body, { headers: { 'Idempotency-Key': 'chat-key-1' } })
      .withResponse();
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(h.fake.requests.length).toBe(calls + 1);
  });

  it('keeps no event log of a stateless call', async () => {
    h.fake.script({ sse: upstreamText(['Gone']) });
    const stream = await client.chat.completions.create({
      model: 'support',
      messages: [{ role: 'user', content: 'Leave no trace' }],
      stream: true,
    });
    let id = '';
    for await (const part of stream) id = part.id;
    const events = await h.call('GET', `/v1/turns/${id.replace('chatcmpl-', '')}/events`, undefined, { token: key });
    expect(events.status).toBe(404);
  });

  it('answers an upstream failure before any output as an HTTP error, and one mid-stream as an error event', async () => {
    h.fake.script({ status: 400, body: { error: { message: 'bad request', type: 'invalid_request_error' } } });
    const refused = await client.chat.completions
      .create({ model: 'support', messages: [{ role: 'user', content: 'x' }], stream: true })
      .catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(OpenAI.InternalServerError);
    expect(refused).toMatchObject({ status: 502, code: 'provider_rejected', type: 'server_error' });

    h.fake.script({ sse: upstreamText(['Half', ' of', ' it']), cutAfterEvents: 2 });
    const stream = await client.chat.completions.create({
      model: 'support',
      messages: [{ role: 'user', content: 'Break off' }],
      stream: true,
    });
    let text = '';
    const failure = await (async () => {
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    })().catch((caught: unknown) => caught);
    expect(text).toBe('Half');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ error: { code: 'provider_error', type: 'server_error' } });
  });

  it('answers another tenant’s agent exactly as a missing model', async () => {
    const other = await h.tenant('chat-sdk-other', { model: { provider: 'up', id: MODEL }, tools: [] });
    const made = await h.call('POST', '/v1/agents', { id: 'their-agent', name: 'Their agent' }, { token: other.key });
    expect(made.status).toBe(201);
    for (const model of ['their-agent', 'Their agent', 'no-such-agent']) {
      const error = await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'x' }] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error).toMatchObject({
        status: 404,
        code: 'model_not_found',
        message: `404 The model '${model}' does not exist or you do not have access to it.`,
      });
      expect(await client.models.retrieve(model).catch((caught: unknown) => caught)).toBeInstanceOf(
        OpenAI.NotFoundError,
      );
    }
    expect((await client.models.list()).data.map((entry) => entry.id)).not.toContain('their-agent');
  });

  it('answers a rate limit with RateLimitError and Retry-After', async () => {
    const limited = await h.tenant('chat-sdk-limited', {
      model: { provider: 'up', id: MODEL },
      tools: [],
      limits: { requestsPerMinute: 1 },
    });
    const limitedClient = new OpenAI({ apiKey: limited.key, baseURL: `${h.url}/v1`, maxRetries: 0 });
    h.fake.script({ sse: upstreamText(['first']) });
    await limitedClient.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'one' }] });
    const error = await limitedClient.chat.completions
      .create({ model: 'default', messages: [{ role: 'user', content: 'two' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', type: 'rate_limit_error' });
    expect(Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after'))).toBeGreaterThan(
      0,
    );
  });

  it('lists and retrieves the tenant’s agents and models', async () => {
    const list = await client.models.list();
    const ids = list.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['default', 'support', 'up/gpt-4o-mini', 'up/gpt-4o']));
    expect(list.data.find((model) => model.id === 'support')).toMatchObject({ object: 'model', owned_by: 'agent' });
    expect(await client.models.retrieve('support')).toMatchObject({
      id: 'support',
      object: 'model',
      owned_by: 'agent',
    });
    expect(await client.models.retrieve('up/gpt-4o')).toMatchObject({ id: 'up/gpt-4o', owned_by: 'up' });
    const missing = await client.models.retrieve('nobody').catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ code: 'model_not_found' });
  });
});
