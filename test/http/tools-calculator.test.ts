import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// A real server on a random port, a tenant with the calculator enabled, and the simulated model
// calling it through the AI SDK tool loop.
const ADMIN = `admin-${'c'.repeat(40)}`;
let t: TestApp;
let base: string;
let key: string;

const call = (method: string, path: string, token: string, body?: unknown, accept?: string) =>
  request(base, method, path, { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) }, body);

async function newSession(token = key): Promise<string> {
  return (await call('POST', '/v1/sessions', token, {})).json.id;
}

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  key = (await createTenantWithKey(base, ADMIN, 'calc', { config: { tools: ['current_time', 'calculator'] } })).key;
});
afterAll(async () => {
  await t.dispose();
});

describe('calculator built-in tool', () => {
  it('is called through the tool loop, and the call, the result and the usage are stored', async () => {
    const session = await newSession();
    const response = await call('POST', `/v1/sessions/${session}/messages`, key, { content: 'calculate 2*(3+4)' });
    expect(response.status).toBe(200);
    const { messages, reply, usage } = response.json;
    expect(messages.map((message: { role: string }) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
    const [toolCall, toolResult] = messages;
    expect(toolCall.tool_calls).toEqual([
      { toolCallId: expect.any(String), toolName: 'calculator', input: { expression: '2*(3+4)' } },
    ]);
    expect(toolResult.content).toEqual([
      { type: 'tool-result', toolCallId: toolCall.tool_calls[0].toolCallId, toolName: 'calculator', output: 14 },
    ]);
    expect(reply.content[0].text).toBe("Agent response to 'calculate 2*(3+4)' with context:  (calculator returned 14)");
    expect(usage.total_tokens).toBe(
      messages.reduce((sum: number, message: { usage: { total_tokens: number } | null }) => {
        return sum + (message.usage?.total_tokens ?? 0);
      }, 0),
    );

    const stored = await call('GET', `/v1/sessions/${session}/messages`, key);
    expect(stored.json.data.map((message: { role: string }) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(stored.json.data[2].content).toEqual(toolResult.content);

    const records = await call('GET', '/v1/usage/records', key);
    const record = records.json.data.find((entry: { turn_id: string }) => entry.turn_id === response.json.turn_id);
    expect(record).toMatchObject({ tool_calls: 1, status: 'completed', total_tokens: usage.total_tokens });
  });

  it('turns division by zero into a tool error the model answers with, not a failed turn', async () => {
    const session = await newSession();
    const response = await call('POST', `/v1/sessions/${session}/messages`, key, { content: 'Calculate 1 / (2 - 2)?' });
    expect(response.status).toBe(200);
    const [toolCall, toolResult, reply] = response.json.messages;
    expect(toolCall.tool_calls[0].input).toEqual({ expression: '1 / (2 - 2)' });
    expect(toolResult.content[0]).toMatchObject({ toolName: 'calculator', output: 'Division by zero', isError: true });
    expect(reply).toMatchObject({ final: true, status: 'completed' });
    expect(reply.content[0].text).toContain('calculator returned CalculatorError: Division by zero');
  });

  it('streams tool-call and tool-result events over SSE', async () => {
    const session = await newSession();
    const response = await call(
      'POST',
      `/v1/sessions/${session}/messages`,
      key,
      { content: 'calculate sqrt(16) + 2^3' },
      'text/event-stream',
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = response.text
      .split('\n\n')
      .filter((block) => block.trim())
      .map((block) => {
        const lines = block.split('\n');
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
        return { event: field('event'), data: JSON.parse(field('data') ?? 'null') };
      });
    expect(events.find((event) => event.event === 'tool-call')?.data).toMatchObject({
      tool_name: 'calculator',
      input: { expression: 'sqrt(16) + 2^3' },
    });
    expect(events.find((event) => event.event === 'tool-result')?.data).toMatchObject({
      tool_name: 'calculator',
      output: 12,
      is_error: false,
    });
    expect(events.at(-1)?.event).toBe('turn-end');
  });

  it('is not called for a tenant that has not enabled it', async () => {
    const other = (await createTenantWithKey(base, ADMIN, 'nocalc')).key;
    const session = await newSession(other);
    const response = await call('POST', `/v1/sessions/${session}/messages`, other, { content: 'calculate 2*3' });
    expect(response.status).toBe(200);
    expect(response.json.messages).toHaveLength(1);
    expect(response.json.reply.content[0].text).toBe("Agent response to 'calculate 2*3' with context: ");
  });

  it('keeps the legacy contract: the reply carries the result, in the original shape', async () => {
    const response = await call('POST', '/agent/interact', key, { tenant_id: 'calc', message: 'calculate 6*7' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      tenant_id: 'calc',
      response: "Agent response to 'calculate 6*7' with context:  (calculator returned 42)",
    });
  });
});
