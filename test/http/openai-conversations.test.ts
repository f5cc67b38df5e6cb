import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// The official `openai` SDK against a real Enclave on a loopback port: a conversation is a session.
const ADMIN = `admin-${'v'.repeat(40)}`;
let t: TestApp;
let base: string;
let key: string;
let client: OpenAI;
let other: OpenAI;

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  key = (await createTenantWithKey(base, ADMIN, 'conv-a')).key;
  const otherKey = (await createTenantWithKey(base, ADMIN, 'conv-b')).key;
  client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
  other = new OpenAI({ apiKey: otherKey, baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await t.dispose();
});

describe('conversations through the openai SDK', () => {
  it('creates with metadata and items, reads, updates and deletes, and the session API sees the same data', async () => {
    const conversation = await client.conversations.create({
      metadata: { topic: 'billing' },
      items: [
        { type: 'message', role: 'user', content: 'Hello there' },
        { type: 'message', role: 'assistant', content: 'Hi!' },
      ],
    });
    expect(conversation).toMatchObject({ object: 'conversation', metadata: { topic: 'billing' } });
    expect(conversation.id).toMatch(/^ses_/);

    const session = await request(base, 'GET', `/v1/sessions/${conversation.id}`, { authorization: `Bearer ${key}` });
    expect(session.json).toMatchObject({ id: conversation.id, metadata: { topic: 'billing' }, message_count: 2 });
    const messages = await request(base, 'GET', `/v1/sessions/${conversation.id}/messages`, {
      authorization: `Bearer ${key}`,
    });
    expect(messages.json.data.map((message: { role: string }) => message.role)).toEqual(['user', 'assistant']);

    const updated = await client.conversations.update(conversation.id, { metadata: { topic: 'refunds' } });
    expect(updated.metadata).toEqual({ topic: 'refunds' });
    expect((await client.conversations.retrieve(conversation.id)).metadata).toEqual({ topic: 'refunds' });

    const deleted = await client.conversations.delete(conversation.id);
    expect(deleted).toMatchObject({ id: conversation.id, deleted: true, object: 'conversation.deleted' });
    await expect(client.conversations.retrieve(conversation.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('adds, lists with pagination, gets and deletes items', async () => {
    const conversation = await client.conversations.create({});
    const added = await client.conversations.items.create(conversation.id, {
      items: [1, 2, 3, 4, 5].map((n) => ({ type: 'message' as const, role: 'user' as const, content: `item ${n}` })),
    });
    expect(added.data).toHaveLength(5);
    const ids = added.data.map((item) => item.id);

    const seen: string[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { limit: 2, order: 'asc' })) {
      seen.push(item.id as string);
    }
    expect(seen).toEqual(ids);
    const newest = await client.conversations.items.list(conversation.id, { limit: 2 });
    expect(newest.data.map((item) => item.id)).toEqual([ids[4], ids[3]]);
    expect(newest.has_more).toBe(true);

    const item = await client.conversations.items.retrieve(ids[2] as string, { conversation_id: conversation.id });
    expect(item).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'item 3' }] });

    const after = await client.conversations.items.delete(ids[2] as string, { conversation_id: conversation.id });
    expect(after.id).toBe(conversation.id);
    await expect(
      client.conversations.items.retrieve(ids[2] as string, { conversation_id: conversation.id }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const left = await client.conversations.items.list(conversation.id, { order: 'asc' });
    expect(left.data.map((entry) => entry.id)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
  });

  it('stores function calls and their outputs as items', async () => {
    const conversation = await client.conversations.create({
      items: [
        { type: 'message', role: 'user', content: 'weather?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
    });
    const items = await client.conversations.items.list(conversation.id, { order: 'asc' });
    expect(items.data.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call_output']);
    expect(items.data[1]).toMatchObject({ call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(items.data[2]).toMatchObject({ call_id: 'call_1', output: 'sunny' });
  });

  it('refuses what it does not support with a 400 in OpenAI error shape', async () => {
    const error = await client.conversations
      .create({ items: [{ type: 'message', role: 'system', content: 'be terse' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      code: 'unsupported_parameter',
      param: 'items[0].role',
    });
    const unauthenticated = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${base}/v1`, maxRetries: 0 });
    await expect(unauthenticated.conversations.create({})).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("answers another tenant's conversation and items exactly as missing ones", async () => {
    const conversation = await client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'private' }],
    });
    const [item] = (await client.conversations.items.list(conversation.id)).data;
    const attempts = [
      () => other.conversations.retrieve(conversation.id),
      () => other.conversations.update(conversation.id, { metadata: { x: 'y' } }),
      () => other.conversations.items.list(conversation.id),
      () =>
        other.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'x' }] }),
      () => other.conversations.items.retrieve(item?.id as string, { conversation_id: conversation.id }),
      () => other.conversations.items.delete(item?.id as string, { conversation_id: conversation.id }),
      () => other.conversations.delete(conversation.id),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const missing = await other.conversations
      .retrieve('ses_00000000000000000000000000')
      .catch((error: unknown) => error);
    const foreign = await other.conversations.retrieve(conversation.id).catch((error: unknown) => error);
    expect((foreign as { error: unknown }).error).toEqual((missing as { error: unknown }).error);
    expect((await client.conversations.items.list(conversation.id)).data).toHaveLength(1);
  });
});
