import { Agent, OpenAIResponsesModel, run, setTraceProcessors, setTracingDisabled, tool } from '@openai/agents';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ResponseStreamEvent, responseStreamEventSchema } from '../../src/http/openai/open-responses-schema.ts';
import { createTenantWithKey } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Client-side function tools through /v1/responses with the official `openai` SDK and the OpenAI
// Agents SDK, against a real Enclave on a loopback port. The simulated model calls a tool the
// user message names, and echoes tool results in its reply.
const ADMIN = `admin-${'f'.repeat(40)}`;
let t: TestApp;
let client: OpenAI;

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: {}, additionalProperties: false },
  strict: false,
};

/** The same client for the Agents SDK, which pins its own copy of the `openai` package (same API). */
const agentsClient = () => client as unknown as ConstructorParameters<typeof OpenAIResponsesModel>[0];

beforeAll(async () => {
  // Nothing leaves loopback: the Agents SDK's trace exporter would post to api.openai.com.
  setTracingDisabled(true);
  setTraceProcessors([]);
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { key } = await createTenantWithKey(base, ADMIN, 'tools-a');
  client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await t.dispose();
});

describe('client-side function tools on /v1/responses', () => {
  it('returns a function_call, and continues with its output through previous_response_id', async () => {
    const first = await client.responses.create({
      model: 'default',
      input: 'please call get_weather for Paris',
      tools: [weatherTool],
    });
    expect(first.status).toBe('completed');
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{}', status: 'completed' });

    const second = await client.responses.create({
      model: 'default',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: 'sunny' }],
      tools: [weatherTool],
    });
    expect(second.output_text).toContain('get_weather returned sunny');
    expect(second.output.some((item) => item.type === 'function_call')).toBe(false);
  });

  it('continues statelessly with the whole exchange as input items', async () => {
    const first = await client.responses.create({
      model: 'default',
      input: 'please call get_weather',
      tools: [weatherTool],
      store: false,
    });
    const call = first.output.find((item) => item.type === 'function_call') as {
      call_id: string;
      name: string;
      arguments: string;
    };
    const second = await client.responses.create({
      model: 'default',
      store: false,
      tools: [weatherTool],
      input: [
        { type: 'message', role: 'user', content: 'please call get_weather' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'rainy' },
      ],
    });
    expect(second.output_text).toContain('get_weather returned rainy');
  });

  it('streams the function call as typed events, each valid against the Open Responses schema', async () => {
    const stream = await client.responses.create({
      model: 'default',
      input: 'use get_weather now',
      tools: [weatherTool],
      stream: true,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(responseStreamEventSchema.parse(event));
    const types = events.map((event) => event.type);
    const added = types.lastIndexOf('response.output_item.added');
    expect(types.slice(added)).toEqual([
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = events.find((event) => event.type === 'response.function_call_arguments.done');
    expect(done).toMatchObject({ arguments: '{}' });
  });

  it('runs an OpenAI Agents SDK agent with a function tool to completion', async () => {
    const calls: string[] = [];
    const getWeather = tool({
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: z.object({}),
      execute: async () => {
        calls.push('get_weather');
        return 'cloudy';
      },
    });
    const agent = new Agent({
      name: 'Weather agent',
      instructions: 'Answer with the weather.',
      model: new OpenAIResponsesModel(agentsClient(), 'default'),
      tools: [getWeather],
    });
    const result = await run(agent, 'please call get_weather and tell me');
    expect(calls).toEqual(['get_weather']);
    expect(result.finalOutput).toContain('get_weather returned cloudy');
  });

  it('runs the agent streamed, every event of the underlying stream valid', async () => {
    const agent = new Agent({
      name: 'Streaming agent',
      instructions: 'Be brief.',
      model: new OpenAIResponsesModel(agentsClient(), 'default'),
      tools: [
        tool({ name: 'get_weather', description: 'Weather', parameters: z.object({}), execute: async () => 'warm' }),
      ],
    });
    const result = await run(agent, 'please call get_weather', { stream: true });
    const raw: unknown[] = [];
    for await (const event of result) {
      if (event.type === 'raw_model_stream_event' && event.data.type === 'model') raw.push(event.data.event);
    }
    await result.completed;
    expect(result.finalOutput).toContain('get_weather returned warm');
    expect(raw.length).toBeGreaterThan(0);
    for (const event of raw) responseStreamEventSchema.parse(event);
  });
});
