import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// search_history through the real HTTP API: with the simulated model (a user asks it to search),
// and with a fake OpenAI server standing in for a model that tries to read another tenant's
// session by naming its id. The tenant always comes from the turn.
let h: ProviderHarness;
let alpha: string;
let beta: string;
let mallory: string;

type Json = Record<string, unknown> & { results: { session_id: string; snippet: string; role: string }[] };

async function send(key: string, session: string, content: string) {
  const response = await h.call('POST', `/v1/sessions/${session}/messages`, { content }, { token: key });
  expect(response.status, response.text).toBe(200);
  return response.body;
}

async function newSession(key: string): Promise<string> {
  return (await h.call('POST', '/v1/sessions', {}, { token: key })).body.id;
}

/** The search_history output stored in a turn's tool message. */
function searchOutput(body: { messages: { role: string; content: { output: unknown }[] }[] }): Json {
  const tool = body.messages.find((message) => message.role === 'tool');
  return tool?.content[0]?.output as Json;
}

beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [{ id: 'llm', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' }],
    { TEST_OPENAI_KEY: 'sk-platform-openai' },
  );
  ({ key: alpha } = await h.tenant('alpha', { tools: ['search_history'] }));
  ({ key: beta } = await h.tenant('beta', { tools: ['search_history'] }));
  ({ key: mallory } = await h.tenant('mallory', {
    tools: ['search_history'],
    model: { provider: 'llm', id: 'gpt-4o-mini' },
  }));
});
afterAll(async () => {
  await h?.close();
});

describe('search_history built-in tool', () => {
  it("finds the calling tenant's own messages, newest first, across sessions, and never another tenant's", async () => {
    const first = await newSession(alpha);
    await send(alpha, first, 'My favourite fruit is the Mango, for the record.');
    const second = await newSession(alpha);
    await send(alpha, second, 'Mango smoothies every morning');
    const other = await newSession(beta);
    await send(beta, other, 'beta secret: mango plantation in Peru');

    const asking = await newSession(alpha);
    const body = await send(alpha, asking, 'search history for mango');
    expect(body.messages.map((message: { role: string }) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
    expect(body.messages[0].tool_calls[0]).toMatchObject({ toolName: 'search_history', input: { query: 'mango' } });
    const output = searchOutput(body);
    // Its own question is not a result; both earlier sessions are, user messages and replies, newest first.
    expect(output.results.map((result) => [result.session_id, result.role])).toEqual([
      [second, 'assistant'],
      [second, 'user'],
      [first, 'assistant'],
      [first, 'user'],
    ]);
    expect(JSON.stringify(output)).not.toContain('beta secret');
    expect(JSON.stringify(output)).not.toContain(other);

    // Beta, asking the same, sees only beta.
    const betaOutput = searchOutput(await send(beta, await newSession(beta), 'search history for mango'));
    expect(betaOutput.results.map((result) => result.session_id)).toEqual([other, other]);
  });

  it("a model that names another tenant's session id gets nothing from it", async () => {
    const victim = await newSession(beta);
    await send(beta, victim, 'beta password hint: blue giraffe');
    const own = await newSession(mallory);
    // The model asks for beta's session; then answers after seeing the tool result.
    h.fake.script(
      {
        body: {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o-mini',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: {
                      name: 'search_history',
                      arguments: JSON.stringify({ query: 'giraffe', session_id: victim, limit: 20 }),
                    },
                  },
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        },
      },
      { fixture: 'openai-chat-text' },
    );
    const body = await send(mallory, own, 'what did the other organisation say?');
    expect(searchOutput(body)).toEqual({ query: 'giraffe', results: [] });
    // What the model saw next: the empty result, nothing of beta's.
    const followUp = JSON.stringify(h.fake.requests.at(-1)?.body);
    expect(followUp).not.toContain('blue giraffe');
    expect(followUp).toContain('"results\\":[]');
  });

  it('is offered only when the config enables it, and bad input is a tool error, not a failed turn', async () => {
    const { key } = await h.tenant('plain', {});
    const session = await newSession(key);
    const plain = await send(key, session, 'search history for anything');
    expect(plain.messages.map((message: { role: string }) => message.role)).toEqual(['assistant']);

    const { key: strict } = await h.tenant('strict', { tools: ['search_history'] });
    const named = await send(strict, await newSession(strict), 'use search_history please');
    const tool = named.messages.find((message: { role: string }) => message.role === 'tool');
    expect(tool.content[0]).toMatchObject({ toolName: 'search_history', isError: true });
    expect(String(tool.content[0].output)).toContain('"query"');
  });
});
