import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Branching with `previous_response_id` from a response that is not the newest of its session,
// through the official `openai` SDK against a real Enclave (the simulated model quotes the earlier
// user messages of its context, so each answer shows which history it was given).
const ADMIN = `admin-${'b'.repeat(40)}`;
let t: TestApp;
let base: string;
let key: string;
let client: OpenAI;
let other: OpenAI;

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  key = (await createTenantWithKey(base, ADMIN, 'branch-a')).key;
  const otherKey = (await createTenantWithKey(base, ADMIN, 'branch-b')).key;
  client = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
  other = new OpenAI({ apiKey: otherKey, baseURL: `${base}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await t.dispose();
});

const contextOf = (response: OpenAI.Responses.Response) => response.output_text.split('with context: ')[1] ?? '';

async function sessionOf(responseId: string): Promise<{ id: string; [field: string]: unknown }> {
  const turn = await request(base, 'GET', `/v1/turns/${responseId.replace('resp_', 'msg_')}`, {
    authorization: `Bearer ${key}`,
  });
  const session = await request(base, 'GET', `/v1/sessions/${turn.json.session_id}`, {
    authorization: `Bearer ${key}`,
  });
  return session.json;
}

describe('branching from an older response', () => {
  it('forks: two branches from one response see different continuations, and the original is unchanged', async () => {
    const first = await client.responses.create({ model: 'default', input: 'alpha' });
    const second = await client.responses.create({ model: 'default', input: 'beta', previous_response_id: first.id });
    const original = await sessionOf(second.id);
    expect(original).toMatchObject({ message_count: 4, forked_from: null });

    const left = await client.responses.create({ model: 'default', input: 'left', previous_response_id: first.id });
    const right = await client.responses.create({ model: 'default', input: 'right', previous_response_id: first.id });
    for (const branch of [left, right]) {
      expect(branch.previous_response_id).toBe(first.id);
      expect(contextOf(branch)).toBe('alpha');
    }
    // Each branch is a new session holding the history up to the response it branched from.
    const leftSession = await sessionOf(left.id);
    const rightSession = await sessionOf(right.id);
    expect(new Set([original.id, leftSession.id, rightSession.id]).size).toBe(3);
    const turnOfFirst = first.id.replace('resp_', 'msg_');
    expect(leftSession).toMatchObject({
      message_count: 4,
      forked_from: { session_id: original.id, turn_id: turnOfFirst },
    });

    // A branch's newest response continues its own fork: it sees its branch, not the other, nor the original's.
    const leftAgain = await client.responses.create({ model: 'default', input: 'more', previous_response_id: left.id });
    expect(contextOf(leftAgain)).toBe('alpha left');
    expect(await sessionOf(leftAgain.id)).toMatchObject({ id: leftSession.id, message_count: 6 });

    // The original conversation is as it was, and the original responses are unchanged.
    expect(await sessionOf(second.id)).toMatchObject({ id: original.id, message_count: 4 });
    expect(await client.responses.retrieve(first.id)).toMatchObject({ id: first.id, output: first.output });
    const after = await client.responses.create({ model: 'default', input: 'gamma', previous_response_id: second.id });
    expect(contextOf(after)).toBe('alpha beta');
  });

  it('answers a missing or foreign previous response as missing, and never combines it with conversation', async () => {
    const mine = await client.responses.create({ model: 'default', input: 'one' });
    await client.responses.create({ model: 'default', input: 'two', previous_response_id: mine.id });
    for (const [caller, id] of [
      [other, mine.id],
      [client, 'resp_01JZZZZZZZZZZZZZZZZZZZZZZZ'],
    ] as const) {
      const error = await caller.responses
        .create({ model: 'default', input: 'branch', previous_response_id: id })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({
        param: 'previous_response_id',
      });
    }
    const conversation = await client.conversations.create({});
    const both = await client.responses
      .create({ model: 'default', input: 'x', previous_response_id: mine.id, conversation: conversation.id })
      .catch((caught: unknown) => caught);
    // A branch is a new session, never the conversation: the two together are refused before anything is looked up.
    expect(both).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect((both as InstanceType<typeof OpenAI.UnprocessableEntityError>).error).toMatchObject({
      code: 'validation_failed',
      param: 'previous_response_id',
    });
  });

  it('removes the fork of a branch whose turn is refused', async () => {
    // A daily quota of one token: the first turn is admitted and uses it up; the branch is refused.
    const limited = (await createTenantWithKey(base, ADMIN, 'branch-q', { config: { limits: { tokensPerDay: 1 } } }))
      .key;
    const sdk = new OpenAI({ apiKey: limited, baseURL: `${base}/v1`, maxRetries: 0 });
    const conversation = await sdk.conversations.create({});
    const response = await sdk.responses.create({ model: 'default', input: 'once', conversation: conversation.id });
    // An item added after it makes the response an older one: chaining from it branches.
    await sdk.conversations.items.create(conversation.id, { items: [{ role: 'user', content: 'later' }] });
    const refused = await sdk.responses
      .create({ model: 'default', input: 'branch', previous_response_id: response.id })
      .catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const sessions = await request(base, 'GET', '/v1/sessions', { authorization: `Bearer ${limited}` });
    expect(sessions.json.data.map((session: { id: string }) => session.id)).toEqual([conversation.id]);
  });
});
