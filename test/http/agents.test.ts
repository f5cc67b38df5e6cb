import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON bodies, asserted field by field.
type Json = any;

/** Agents through the real API: a real listener, a real database, and a fake OpenAI-compatible provider. */
describe('agents', () => {
  let h: ProviderHarness;
  let key: string;
  const as = (method: string, path: string, body?: unknown) => h.call(method, path, body, { token: key });

  beforeAll(async () => {
    h = await startProviderHarness(
      (url) => [{ id: 'llm', type: 'openai-compatible', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_GATEWAY_KEY' }],
      { TEST_GATEWAY_KEY: 'gateway-platform-key' },
    );
    ({ key } = await h.tenant('acme', { systemPrompt: 'You are the default agent.' }));
  });
  afterAll(async () => {
    await h.close();
  });

  async function turnIn(sessionId: string, content: string) {
    return as('POST', `/v1/sessions/${sessionId}/messages`, { content });
  }

  /** The system prompt of the last request the fake provider received. */
  function lastSystemPrompt(): string {
    const body = h.fake.requests.at(-1)?.body as Json;
    return body.messages.find((message: Json) => message.role === 'system')?.content;
  }

  it('runs three agents with their own prompts and models, each reply naming its agent and version', async () => {
    const created = [
      {
        id: 'support',
        name: 'Support',
        config: { system_prompt: 'You are support.', model: { provider: 'llm', id: 'support-model' } },
      },
      {
        id: 'sales',
        name: 'Sales',
        config: { system_prompt: 'You are sales.', model: { provider: 'llm', id: 'sales-model' } },
      },
      { id: 'research', name: 'Research', config: { system_prompt: 'You research.' } },
    ];
    for (const agent of created) {
      const response = await as('POST', '/v1/agents', agent);
      expect(response.status, response.text).toBe(201);
      expect(response.body).toMatchObject({ id: agent.id, object: 'agent', version: 1 });
    }
    const listed = await as('GET', '/v1/agents');
    expect(listed.body.data.map((agent: Json) => agent.id)).toEqual(['default', 'research', 'sales', 'support']);

    for (const agent of ['support', 'sales']) {
      const session = await as('POST', '/v1/sessions', { agent_id: agent });
      expect(session.body.agent_id).toBe(agent);
      h.fake.script({ fixture: 'openai-chat-text' });
      const turn = await turnIn(session.body.id, `Hello ${agent}`);
      expect(turn.status, turn.text).toBe(200);
      expect(turn.body.reply).toMatchObject({ agent_id: agent, agent_version: 1, model: `llm:${agent}-model` });
      const sent = h.fake.requests.at(-1)?.body as Json;
      expect(sent.model).toBe(`${agent}-model`);
      expect(lastSystemPrompt()).toContain(`You are ${agent}.`);
      expect(JSON.stringify(sent.messages)).toContain(`Hello ${agent}`);
    }
    const received = h.fake.requests.length;
    const research = await as('POST', '/v1/sessions', { agent_id: 'research' });
    const turn = await turnIn(research.body.id, 'Hello research');
    expect(turn.body.reply).toMatchObject({ agent_id: 'research', agent_version: 1, model: 'simulated:simulated-1' });
    // The simulated agent never reached the provider.
    expect(h.fake.requests.length).toBe(received);

    // The legacy default agent is unchanged: a session without agent_id runs it.
    const plain = await as('POST', '/v1/sessions', {});
    expect(plain.body.agent_id).toBe('default');
    const legacy = await turnIn(plain.body.id, 'Hello default');
    expect(legacy.body.reply).toMatchObject({ agent_id: 'default', model: 'simulated:simulated-1' });

    const usage = await as('GET', '/v1/usage?group_by=agent');
    expect(usage.body.data.map((row: Json) => row.agent).sort()).toEqual(['default', 'research', 'sales', 'support']);
  });

  it('keeps every version: five edits, a restore of version 2, and each reply names its version', async () => {
    const created = await as('POST', '/v1/agents', { id: 'versioned', config: { system_prompt: 'v1' } });
    expect(created.status, created.text).toBe(201);
    const session = await as('POST', '/v1/sessions', { agent_id: 'versioned' });
    const replies: Json[] = [];
    replies.push((await turnIn(session.body.id, 'first')).body.reply);
    for (let edit = 2; edit <= 6; edit++) {
      const patched = await as('PATCH', '/v1/agents/versioned', { config: { system_prompt: `v${edit}` } });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body.version).toBe(edit);
      replies.push((await turnIn(session.body.id, `turn ${edit}`)).body.reply);
    }
    const restored = await as('POST', '/v1/agents/versioned/versions/2/restore');
    expect(restored.status, restored.text).toBe(200);
    expect(restored.body).toMatchObject({ version: 7, config: { system_prompt: 'v2' } });
    replies.push((await turnIn(session.body.id, 'after restore')).body.reply);
    expect(replies.map((reply) => reply.agent_version)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const versions = await as('GET', '/v1/agents/versioned/versions?limit=3');
    expect(versions.body.data.map((version: Json) => version.version)).toEqual([7, 6, 5]);
    const next = await as('GET', `/v1/agents/versioned/versions?limit=10&cursor=${versions.body.next_cursor}`);
    expect(next.body.data.map((version: Json) => version.version)).toEqual([4, 3, 2, 1]);
    const one = await as('GET', '/v1/agents/versioned/versions/3');
    expect(one.body).toMatchObject({ agent_id: 'versioned', version: 3, config: { system_prompt: 'v3' } });
    const stored = await as('GET', `/v1/sessions/${session.body.id}/messages?limit=100`);
    const assistant = stored.body.data.filter((message: Json) => message.role === 'assistant');
    expect(assistant.map((message: Json) => message.agent_version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(assistant.map((message: Json) => message.agent_id))).toEqual(new Set(['versioned']));
  });

  it('gives 20 concurrent changes of one agent 20 distinct versions', async () => {
    await as('POST', '/v1/agents', { id: 'busy' });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        as('PATCH', '/v1/agents/busy', { config: { system_prompt: `edit ${index}` } }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const versions = responses.map((response) => response.body.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, index) => index + 2));
  });

  it("limits an agent's requests per minute without touching another agent of the tenant", async () => {
    await as('POST', '/v1/agents', { id: 'limited', config: { limits: { requests_per_minute: 5 } } });
    await as('POST', '/v1/agents', { id: 'free' });
    const limited = await as('POST', '/v1/sessions', { agent_id: 'limited' });
    const free = await as('POST', '/v1/sessions', { agent_id: 'free' });
    for (let turn = 1; turn <= 5; turn++) expect((await turnIn(limited.body.id, `t${turn}`)).status).toBe(200);
    const refused = await turnIn(limited.body.id, 'sixth');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    expect(refused.headers.get('ratelimit-policy')).toContain('agent-rpm');
    expect(refused.headers.get('ratelimit')).toBeTruthy();
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect((await turnIn(free.body.id, 'still fine')).status).toBe(200);
  });

  it('hands a session over to another agent, keeping its history', async () => {
    await as('POST', '/v1/agents', { id: 'first-line', config: { system_prompt: 'First line.' } });
    await as('POST', '/v1/agents', {
      id: 'second-line',
      config: { system_prompt: 'Second line.', model: { provider: 'llm', id: 'escalation-model' } },
    });
    const session = await as('POST', '/v1/sessions', { agent_id: 'first-line' });
    await turnIn(session.body.id, 'my printer is on fire');
    const handed = await as('PATCH', `/v1/sessions/${session.body.id}`, { agent_id: 'second-line' });
    expect(handed.status, handed.text).toBe(200);
    expect(handed.body).toMatchObject({ agent_id: 'second-line', message_count: 2 });
    h.fake.script({ fixture: 'openai-chat-text' });
    const turn = await turnIn(session.body.id, 'still on fire');
    expect(turn.body.reply).toMatchObject({ agent_id: 'second-line', model: 'llm:escalation-model' });
    expect(lastSystemPrompt()).toContain('Second line.');
    // The history the first agent built reached the second one.
    const sent = h.fake.requests.at(-1)?.body as Json;
    expect(JSON.stringify(sent.messages)).toContain('my printer is on fire');
  });

  it('refuses to delete an agent in use unless cascade=true, which deletes its sessions', async () => {
    await as('POST', '/v1/agents', { id: 'doomed' });
    const session = await as('POST', '/v1/sessions', { agent_id: 'doomed' });
    const refused = await as('DELETE', '/v1/agents/doomed');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('AGENT_HAS_SESSIONS');
    expect((await as('DELETE', '/v1/agents/doomed?cascade=true')).status).toBe(204);
    expect((await as('GET', `/v1/sessions/${session.body.id}`)).status).toBe(404);
    expect((await as('GET', '/v1/agents/doomed')).body.code).toBe('AGENT_NOT_FOUND');
    expect((await as('DELETE', '/v1/agents/default')).status).toBe(422);
  });

  it('caps the number of agents a tenant may have (operator setting maxAgents)', async () => {
    const { key: small } = await h.tenant('small', { maxAgents: 2 });
    expect((await h.call('POST', '/v1/agents', { id: 'one' }, { token: small })).status).toBe(201);
    const refused = await h.call('POST', '/v1/agents', { id: 'two' }, { token: small });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('AGENT_LIMIT_REACHED');
    // A tenant may not lift its own cap.
    const lift = await h.call('PATCH', '/v1/config', { maxAgents: 50 }, { token: small });
    expect(lift.status).toBe(403);
  });

  it('refuses unknown config fields (422 naming them) and unknown tools (422 with the valid ones)', async () => {
    const bogus = await as('PATCH', '/v1/agents/support', { config: { bogusField: 1 } });
    expect(bogus.status).toBe(422);
    expect(bogus.text).toContain('bogusField');
    const tool = await as('POST', '/v1/agents', { id: 'typo', config: { tools: ['calculater'] } });
    expect(tool.status).toBe(422);
    expect(tool.body.code).toBe('UNKNOWN_TOOL');
    expect(tool.body.detail).toContain('current_time');
    // /v1/config: the same rules, and both spellings of a field.
    const unknown = await as('PATCH', '/v1/config', { bogusField: 1 });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toContain('bogusField');
    expect((await as('PATCH', '/v1/config', { tools: ['calculater'] })).body.code).toBe('UNKNOWN_TOOL');
    const snake = await as('PATCH', '/v1/config', { system_prompt: 'Snake case works.' });
    expect(snake.status, snake.text).toBe(200);
    expect(snake.body.config.systemPrompt).toBe('Snake case works.');
    const agent = await as('GET', '/v1/agents/default');
    expect(agent.body).toMatchObject({ id: 'default', version: snake.body.version });
    expect(agent.body.config.system_prompt).toBe('Snake case works.');
  });

  it('serves the admin equivalents under /v1/admin/tenants/{id}/agents', async () => {
    const created = await h.call('POST', '/v1/admin/tenants/acme/agents', { id: 'made-by-operator' });
    expect(created.status, created.text).toBe(201);
    expect((await as('GET', '/v1/agents/made-by-operator')).status).toBe(200);
    const listed = await h.call('GET', '/v1/admin/tenants/acme/agents?limit=100');
    expect(listed.body.data.map((agent: Json) => agent.id)).toContain('made-by-operator');
    expect((await h.call('DELETE', '/v1/admin/tenants/acme/agents/made-by-operator')).status).toBe(204);
  });

  it("answers another tenant's agent exactly like a missing one, wherever it is named", async () => {
    const { key: other } = await h.tenant('globex', {});
    const probes = async (agentId: string) => {
      const session = await h.call('POST', '/v1/sessions', {}, { token: other });
      const results = [
        await h.call('GET', `/v1/agents/${agentId}`, undefined, { token: other }),
        await h.call('PATCH', `/v1/agents/${agentId}`, { name: 'x' }, { token: other }),
        await h.call('DELETE', `/v1/agents/${agentId}`, undefined, { token: other }),
        await h.call('GET', `/v1/agents/${agentId}/versions`, undefined, { token: other }),
        await h.call('GET', `/v1/agents/${agentId}/versions/1`, undefined, { token: other }),
        await h.call('POST', `/v1/agents/${agentId}/versions/1/restore`, undefined, { token: other }),
        await h.call('POST', '/v1/sessions', { agent_id: agentId }, { token: other }),
        await h.call('PATCH', `/v1/sessions/${session.body.id}`, { agent_id: agentId }, { token: other }),
      ];
      return results.map(({ status, body }) => ({ status, code: body.code, detail: body.detail }));
    };
    const foreign = await probes('support');
    const random = await probes('no-such-agent');
    expect(foreign).toEqual(random);
    expect(new Set(foreign.map((result) => result.status))).toEqual(new Set([404]));
  });
});
