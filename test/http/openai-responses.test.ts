import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ResponseStreamEvent, responseStreamEventSchema } from '../../src/http/openai/open-responses-schema.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// The official `openai` SDK against a real Enclave on a loopback port (the simulated model), with
// every streamed event parsed by the Open Responses schema kept in the repo.
const ADMIN = `admin-${'r'.repeat(40)}`;
let t: TestApp;
let base: string;
let key: string;
let client: OpenAI;
let other: OpenAI;

/** Every event of a stream, each validated against the Open Responses schema. */
async function collect(stream: AsyncIterable<unknown>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(responseStreamEventSchema.parse(event));
  return events;
}

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN }, { simulatedWordDelayMs: 5 });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  key = (await createTenantWithKey(base, ADMIN, 'resp-a')).key;
  const otherKey = (await createTenantWithKey(base, ADMIN, 'resp-b')).key;
  client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
  other = new OpenAI({ apiKey: otherKey, baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await t.dispose();
});

describe('responses through the openai SDK', () => {
  it('creates, retrieves and lists the input of a response, which is a turn of a session', async () => {
    const response = await client.responses.create({ model: 'default', input: 'Hello Enclave' });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'default', store: true });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toContain("Agent response to 'Hello Enclave'");
    expect(response.usage?.total_tokens).toBeGreaterThan(0);

    const again = await client.responses.retrieve(response.id);
    expect(again).toEqual(response);

    const input = await client.responses.inputItems.list(response.id);
    expect(input.data).toMatchObject([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello Enclave' }] },
    ]);

    // The same turn through Enclave's own API.
    const turnId = response.id.replace('resp_', 'msg_');
    const turn = await request(base, 'GET', `/v1/turns/${turnId}`, { authorization: `Bearer ${key}` });
    expect(turn.json).toMatchObject({ status: 'completed', reply: { content: [{ text: response.output_text }] } });
    // Its session is an ordinary session of the default agent: the sessions API continues it.
    const session = await request(base, 'GET', `/v1/sessions/${turn.json.session_id}`, {
      authorization: `Bearer ${key}`,
    });
    expect(session.json).toMatchObject({ agent_id: 'default', message_count: 2 });
    const next = await request(
      base,
      'POST',
      `/v1/sessions/${turn.json.session_id}/messages`,
      {
        authorization: `Bearer ${key}`,
      },
      { content: 'and then?' },
    );
    expect(next.status).toBe(200);
  });

  it('chains with previous_response_id in one conversation', async () => {
    const first = await client.responses.create({ model: 'default', input: 'first question' });
    const second = await client.responses.create({
      model: 'default',
      input: 'second question',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    // The second turn's context holds the first exchange (the simulated model echoes its context).
    expect(second.output_text).toContain('first question');
  });

  it('streams the full typed event sequence, numbered, and resumes it after a sequence number', async () => {
    const stream = client.responses.stream({ model: 'default', input: 'stream me please' });
    const events = await collect(stream);
    const final = await stream.finalResponse();
    const types = events.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(types.slice(4, -4).every((type) => type === 'response.output_text.delta')).toBe(true);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const deltas = events.flatMap((event) => (event.type === 'response.output_text.delta' ? [event.delta] : []));
    expect(deltas.join('')).toBe(final.output_text);
    expect(final.status).toBe('completed');
    // The stored response is the one the stream completed with (the SDK adds its parsed fields to `final`).
    const completed = events.at(-1);
    expect(completed?.type === 'response.completed' && completed.response).toMatchObject({ id: final.id });
    expect(await client.responses.retrieve(final.id)).toMatchObject((completed as { response: object }).response);

    const resumed = await collect(await client.responses.retrieve(final.id, { stream: true, starting_after: 3 }));
    expect(resumed).toEqual(events.slice(4));
  });

  it('streams with create({ stream: true }) too', async () => {
    const events = await collect(
      await client.responses.create({ model: 'default', input: 'raw stream', stream: true }),
    );
    expect(events[0]?.type).toBe('response.created');
    expect(events.at(-1)?.type).toBe('response.completed');
  });

  it('runs in the background, is retrieved while running, and cancels', async () => {
    const long = `please ${'write a long answer '.repeat(40)}`;
    const started = await client.responses.create({ model: 'default', input: long, background: true });
    expect(started).toMatchObject({ status: 'in_progress', background: true });
    expect((await client.responses.retrieve(started.id)).status).toBe('in_progress');
    const cancelled = await client.responses.cancel(started.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await client.responses.retrieve(started.id)).status).toBe('cancelled');

    const finished = await client.responses.create({ model: 'default', input: 'short', background: true });
    const events = await collect(await client.responses.retrieve(finished.id, { stream: true }));
    expect(events.at(-1)?.type).toBe('response.completed');
    const notBackground = await client.responses.create({ model: 'default', input: 'sync' });
    await expect(client.responses.cancel(notBackground.id)).rejects.toBeInstanceOf(OpenAI.ConflictError);
  });

  it('deletes a response, and store: false keeps nothing to retrieve', async () => {
    const response = await client.responses.create({ model: 'default', input: 'to delete' });
    await client.responses.delete(response.id);
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const unstored = await client.responses.create({ model: 'default', input: 'ephemeral', store: false });
    expect((unstored as { store?: boolean }).store).toBe(false);
    await expect(client.responses.retrieve(unstored.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('runs in a conversation, whose items then hold the exchange', async () => {
    const conversation = await client.conversations.create({ metadata: { via: 'responses' } });
    const response = await client.responses.create({
      model: 'default',
      input: 'in a conversation',
      conversation: conversation.id,
    });
    const items = await client.conversations.items.list(conversation.id, { order: 'asc' });
    expect(items.data.map((item) => (item.type === 'message' ? item.role : item.type))).toEqual(['user', 'assistant']);
    const [, reply] = items.data;
    expect(reply?.type === 'message' && reply.content[0]?.type === 'output_text' && reply.content[0].text).toBe(
      response.output_text,
    );
  });

  it('honours Idempotency-Key: a retry gets the first response without running another turn', async () => {
    const body = { model: 'default', input: 'exactly once' };
    const first = await client.responses.create(body, { headers: { 'Idempotency-Key': 'resp-idem-1' } });
    const retry = await client.responses.create(body, { headers: { 'Idempotency-Key': 'resp-idem-1' } });
    expect(retry.id).toBe(first.id);
    expect(retry.output_text).toBe(first.output_text);
  });

  it('refuses unsupported parameters with a 400 naming them', async () => {
    const hosted = await client.responses
      .create({ model: 'default', input: 'x', tools: [{ type: 'web_search' }] })
      .catch((error: unknown) => error);
    expect(hosted).toBeInstanceOf(OpenAI.BadRequestError);
    expect((hosted as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param: 'tools[0].type' });
  });

  it("answers another tenant's response and conversation exactly as missing ones", async () => {
    const response = await client.responses.create({ model: 'default', input: 'private', background: true });
    const conversation = await client.conversations.create({});
    const missing = 'resp_00000000000000000000000000';
    const attempts = [
      (id: string) => other.responses.retrieve(id),
      (id: string) => other.responses.cancel(id),
      (id: string) => other.responses.inputItems.list(id),
      (id: string) => other.responses.delete(id),
      (id: string) => other.responses.create({ model: 'default', input: 'x', previous_response_id: id }),
    ];
    for (const attempt of attempts) {
      const foreign = await attempt(response.id).catch((error: unknown) => error);
      const absent = await attempt(missing).catch((error: unknown) => error);
      expect(foreign).toBeInstanceOf(OpenAI.NotFoundError);
      expect((foreign as { error: unknown }).error).toEqual((absent as { error: unknown }).error);
    }
    const foreignConversation = await other.responses
      .create({ model: 'default', input: 'x', conversation: conversation.id })
      .catch((error: unknown) => error);
    expect(foreignConversation).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client.responses.retrieve(response.id)).id).toBe(response.id);
  });
});
