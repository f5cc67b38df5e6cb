import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BearerMcpServer, startBearerMcpServer } from '../fakes/bearer-mcp-server.ts';
import { type McpEverything, startMcpEverything } from '../fakes/start-mcp-everything.ts';
import { injector } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON bodies, asserted field by field.
type Json = any;

const ADMIN = `admin-${'m'.repeat(40)}`;
const JWT_SECRET = 'platform-jwt-secret-for-mcp-tests-000000001';
const TENANT_TOKENS = { alpha: 'tok-alpha-tenant-0001', beta: 'tok-beta-tenant-0002' } as const;
const USER_TOKENS = {
  alpha: { u1: 'tok-alpha-user1-0003', u2: 'tok-alpha-user2-0004' },
  beta: { u1: 'tok-beta-user1-0005', u2: 'tok-beta-user2-0006' },
} as const;

/**
 * Tenant MCP servers end to end: the real app on a real database, the reference server
 * (server-everything) and a bearer-token server written with the official server SDK, both on
 * loopback, allowed through ENCLAVE_OUTBOUND_ALLOW like an operator would.
 */
describe('MCP servers as tools', () => {
  let t: TestApp;
  let everything: McpEverything;
  let bearer: BearerMcpServer;

  const call = (...args: Parameters<ReturnType<typeof injector>>) => injector(t.app)(...args);
  const admin = { authorization: `Bearer ${ADMIN}` };
  const keys: Record<string, Record<string, string>> = {};
  const userToken = (tenantId: string, sub: string) =>
    new SignJWT({ tenant_id: tenantId, sub, scope: 'chat history:read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));

  beforeAll(async () => {
    [everything, bearer] = await Promise.all([
      startMcpEverything(),
      startBearerMcpServer([...Object.values(TENANT_TOKENS), ...Object.values(USER_TOKENS).flatMap(Object.values)]),
    ]);
    t = await createTestApp({
      ENCLAVE_ADMIN_KEY: ADMIN,
      ENCLAVE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      ENCLAVE_JWT_SECRET: JWT_SECRET,
      ENCLAVE_OUTBOUND_ALLOW: '127.0.0.1',
      ENCLAVE_OUTBOUND_MAX_RESPONSE_BYTES: String(1024 * 1024),
    });
    for (const tenantId of ['alpha', 'beta']) {
      expect((await call('POST', '/v1/admin/tenants', admin, { id: tenantId })).status).toBe(201);
      const key = await call('POST', `/v1/admin/tenants/${tenantId}/keys`, admin, {
        name: 'app',
        scopes: ['chat', 'history:read', 'config:write'],
      });
      expect(key.status, key.text).toBe(201);
      keys[tenantId] = { authorization: `Bearer ${key.json().key}` };
    }
  });
  afterAll(async () => {
    await t?.dispose();
    await Promise.all([everything?.close(), bearer?.close()]);
  });

  async function newSession(headers: Record<string, string>, agentId: string): Promise<string> {
    const session = await call('POST', '/v1/sessions', headers, { agent_id: agentId });
    expect(session.status, session.text).toBe(201);
    return session.json().id;
  }

  it('registers a server, lists its tools live, and an agent calls echo and get-sum, JSON and streamed, stored and charged', async () => {
    const alpha = keys.alpha as Record<string, string>;
    const created = await call('POST', '/v1/mcp-servers', alpha, { name: 'everything', url: everything.url });
    expect(created.status, created.text).toBe(201);
    expect(created.json()).toMatchObject({
      object: 'mcp_server',
      name: 'everything',
      transport: 'streamable-http',
      auth: { type: 'none' },
      per_user_credentials: false,
    });
    const id = created.json().id;
    expect((await call('GET', `/v1/mcp-servers/${id}`, alpha)).json().url).toBe(everything.url);
    expect((await call('GET', '/v1/mcp-servers', alpha)).json().data.map((item: Json) => item.id)).toEqual([id]);

    const tools = await call('GET', `/v1/mcp-servers/${id}/tools`, alpha);
    expect(tools.status, tools.text).toBe(200);
    const names = tools.json().data.map((tool: Json) => tool.model_name);
    expect(names).toEqual(expect.arrayContaining(['everything__echo', 'everything__get-sum']));

    const agent = await call('POST', '/v1/agents', alpha, {
      id: 'helper',
      name: 'Helper',
      config: { tools: [], mcp_servers: [{ server: 'everything', tools: ['echo', 'get-sum'] }] },
    });
    expect(agent.status, agent.text).toBe(201);
    expect(agent.json().config.mcp_servers).toEqual([{ server: 'everything', tools: ['echo', 'get-sum'] }]);

    const session = await newSession(alpha, 'helper');
    const echoed = await call('POST', `/v1/sessions/${session}/messages`, alpha, {
      content: 'please run everything__echo {"message":"hello from alpha"}',
    });
    expect(echoed.status, echoed.text).toBe(200);
    const turn = echoed.json();
    expect(turn.messages.map((message: Json) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
    expect(turn.messages[0].tool_calls).toEqual([
      expect.objectContaining({ toolName: 'everything__echo', input: { message: 'hello from alpha' } }),
    ]);
    expect(turn.messages[1].content[0]).toMatchObject({
      type: 'tool-result',
      toolName: 'everything__echo',
      output: 'Echo: hello from alpha',
    });
    expect(turn.messages[1].content[0].isError).not.toBe(true);
    expect(turn.reply.content[0].text).toContain('Echo: hello from alpha');

    const streamed = await t.app.inject({
      method: 'POST',
      url: `/v1/sessions/${session}/messages`,
      headers: { ...alpha, accept: 'text/event-stream' },
      payload: { content: 'now everything__get-sum {"a":19,"b":23}' },
    });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).toContain('event: tool-call');
    expect(streamed.body).toContain('event: tool-result');
    expect(streamed.body).toContain('The sum of 19 and 23 is 42.');
    expect(streamed.body).toContain('event: turn-end');

    // Stored: both tool calls and results are in the session's history.
    const history = await call('GET', `/v1/sessions/${session}/messages?limit=50`, alpha);
    const results = history
      .json()
      .data.filter((message: Json) => message.role === 'tool')
      .map((message: Json) => message.content[0].output);
    expect(results).toEqual(['Echo: hello from alpha', 'The sum of 19 and 23 is 42.']);
    // Charged: each turn's usage record counts its tool call.
    const records = await call('GET', '/v1/usage/records?limit=10', alpha);
    expect(records.status, records.text).toBe(200);
    const mine = records.json().data.filter((record: Json) => record.session_id === session);
    expect(mine).toHaveLength(2);
    for (const record of mine) {
      expect(record.tool_calls).toBe(1);
      expect(record.total_tokens).toBeGreaterThan(0);
    }

    // The default agent chooses MCP tools through the tenant config.
    const patched = await call('PATCH', '/v1/config', alpha, {
      mcp_servers: [{ server: 'everything', tools: ['echo'] }],
    });
    expect(patched.status, patched.text).toBe(200);
    const defaultSession = await call('POST', '/v1/sessions', alpha, {});
    const viaDefault = await call('POST', `/v1/sessions/${defaultSession.json().id}/messages`, alpha, {
      content: 'everything__echo {"message":"default agent"}',
    });
    expect(viaDefault.json().messages[1].content[0].output).toBe('Echo: default agent');
  });

  it('answers a foreign server id exactly like a missing one', async () => {
    const alphaServers = (await call('GET', '/v1/mcp-servers', keys.alpha as Record<string, string>)).json().data;
    const foreign = alphaServers[0].id;
    const beta = keys.beta as Record<string, string>;
    for (const [method, suffix] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['GET', '/tools'],
    ] as const) {
      const payload = method === 'PATCH' ? { url: 'http://127.0.0.1:1/mcp' } : undefined;
      const a = await call(method, `/v1/mcp-servers/${foreign}${suffix}`, beta, payload);
      const b = await call(method, `/v1/mcp-servers/mcp_missing${suffix}`, beta, payload);
      expect(a.status).toBe(404);
      expect({ ...a.json(), request_id: null }).toEqual({ ...b.json(), request_id: null });
      expect(a.json().code).toBe('MCP_SERVER_NOT_FOUND');
    }
    expect((await call('GET', `/v1/mcp-servers/${foreign}`, keys.alpha as Record<string, string>)).status).toBe(200);
  });

  it('sends each tenant its own secret and each end user their own credential, never another’s', async () => {
    for (const tenantId of ['alpha', 'beta'] as const) {
      const headers = keys[tenantId] as Record<string, string>;
      const put = await call('PUT', '/v1/secrets/mcp.shared.token', headers, { value: TENANT_TOKENS[tenantId] });
      expect(put.status, put.text).toBe(204);
      const shared = await call('POST', '/v1/mcp-servers', headers, {
        name: 'shared',
        url: bearer.url,
        auth: { type: 'headers', headers: { Authorization: 'Bearer {{secret:mcp.shared.token}}' } },
      });
      expect(shared.status, shared.text).toBe(201);
      // The record holds the reference, never the value.
      expect(shared.text).not.toContain(TENANT_TOKENS[tenantId]);
      const personal = await call('POST', '/v1/mcp-servers', headers, {
        name: 'personal',
        url: bearer.url,
        auth: { type: 'headers', headers: { Authorization: 'Bearer {{user_credential}}' } },
        per_user_credentials: true,
      });
      expect(personal.status, personal.text).toBe(201);
      for (const user of ['u1', 'u2'] as const) {
        const stored = await call('PUT', `/v1/mcp-servers/${personal.json().id}/credentials/${user}`, headers, {
          credential: USER_TOKENS[tenantId][user],
        });
        expect(stored.status, stored.text).toBe(204);
      }
      const agent = await call('POST', '/v1/agents', headers, {
        id: 'who',
        name: 'Who',
        config: { tools: [], mcp_servers: [{ server: 'shared' }, { server: 'personal' }] },
      });
      expect(agent.status, agent.text).toBe(201);
    }

    const seen: { tenantId: string; user: string; shared: string; personal: string }[] = [];
    for (const tenantId of ['alpha', 'beta'] as const) {
      for (const user of ['u1', 'u2'] as const) {
        const headers = { authorization: `Bearer ${await userToken(tenantId, user)}` };
        const session = await newSession(headers, 'who');
        const outputs: string[] = [];
        for (const tool of ['shared__whoami', 'personal__whoami']) {
          const turn = await call('POST', `/v1/sessions/${session}/messages`, headers, { content: `run ${tool}` });
          expect(turn.status, turn.text).toBe(200);
          outputs.push(turn.json().messages[1].content[0].output);
        }
        seen.push({ tenantId, user, shared: outputs[0] as string, personal: outputs[1] as string });
      }
    }
    expect(seen).toEqual([
      {
        tenantId: 'alpha',
        user: 'u1',
        shared: `token=${TENANT_TOKENS.alpha}`,
        personal: `token=${USER_TOKENS.alpha.u1}`,
      },
      {
        tenantId: 'alpha',
        user: 'u2',
        shared: `token=${TENANT_TOKENS.alpha}`,
        personal: `token=${USER_TOKENS.alpha.u2}`,
      },
      { tenantId: 'beta', user: 'u1', shared: `token=${TENANT_TOKENS.beta}`, personal: `token=${USER_TOKENS.beta.u1}` },
      { tenantId: 'beta', user: 'u2', shared: `token=${TENANT_TOKENS.beta}`, personal: `token=${USER_TOKENS.beta.u2}` },
    ]);
    expect(bearer.refused).toBe(0);
    // An operator's JWT signing secret can never be sent to a server the tenant chose.
    const jwtLeak = await call('POST', '/v1/mcp-servers', keys.alpha as Record<string, string>, {
      name: 'leak',
      url: bearer.url,
      auth: { type: 'headers', headers: { Authorization: 'Bearer {{secret:jwt.secret}}' } },
    });
    expect(jwtLeak.status).toBe(422);

    // A user without a credential (and a turn without a user) is refused with a clear code, storing nothing.
    const stranger = { authorization: `Bearer ${await userToken('alpha', 'u3')}` };
    const session = await newSession(stranger, 'who');
    const refused = await call('POST', `/v1/sessions/${session}/messages`, stranger, {
      content: 'run personal__whoami',
    });
    expect(refused.status).toBe(409);
    expect(refused.json().code).toBe('MCP_USER_CREDENTIAL_MISSING');
    expect((await call('GET', `/v1/sessions/${session}/messages`, stranger)).json().data).toEqual([]);
    const keySession = await newSession(keys.alpha as Record<string, string>, 'who');
    const noUser = await call('POST', `/v1/sessions/${keySession}/messages`, keys.alpha as Record<string, string>, {
      content: 'run shared__whoami',
    });
    expect(noUser.json().code).toBe('MCP_USER_CREDENTIAL_MISSING');
    // An end user may not read or set another user's credential: it answers like a missing server.
    const personalId = (await call('GET', '/v1/mcp-servers', keys.alpha as Record<string, string>))
      .json()
      .data.find((item: Json) => item.name === 'personal').id;
    const other = await call('PUT', `/v1/mcp-servers/${personalId}/credentials/u1`, stranger, { credential: 'steal' });
    expect(other.json().code).toBe('MCP_SERVER_NOT_FOUND');
    const own = await call('GET', `/v1/mcp-servers/${personalId}/credentials/u3`, stranger);
    expect(own.json()).toMatchObject({ user_id: 'u3', set: false });
    // Erasing an end user erases their credentials too.
    const alpha = keys.alpha as Record<string, string>;
    expect((await call('GET', `/v1/mcp-servers/${personalId}/credentials/u2`, alpha)).json().set).toBe(true);
    const erased = await call('DELETE', '/v1/users/u2', alpha);
    expect(erased.status, erased.text).toBe(200);
    expect((await call('GET', `/v1/mcp-servers/${personalId}/credentials/u2`, alpha)).json().set).toBe(false);
    expect((await call('GET', `/v1/mcp-servers/${personalId}/credentials/u1`, alpha)).json().set).toBe(true);

    // The export carries the servers and the users' credentials, the credentials as ciphertext only.
    const exported = await call('GET', '/v1/admin/tenants/alpha/export', admin);
    expect(exported.status).toBe(200);
    const lines = exported.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { table: string });
    const mcpRows = lines.filter((line) => line.table.startsWith('mcp_'));
    expect(new Set(mcpRows.map((line) => line.table))).toEqual(new Set(['mcp_servers', 'mcp_user_credentials']));
    // (The whoami tool's answers quote tokens in stored messages: only the MCP rows are checked here.)
    for (const token of [TENANT_TOKENS.alpha, USER_TOKENS.alpha.u1])
      expect(JSON.stringify(mcpRows)).not.toContain(token);
  });

  it('ends a turn cleanly when a server hangs, answers malformed JSON-RPC, answers 50 MB, or vanishes mid-call', async () => {
    const beta = keys.beta as Record<string, string>;
    await call('PUT', '/v1/secrets/mcp.shared.token', beta, { value: TENANT_TOKENS.beta });
    const faulty = await call('POST', '/v1/mcp-servers', beta, {
      name: 'faulty',
      url: bearer.url,
      auth: { type: 'headers', headers: { Authorization: 'Bearer {{secret:mcp.shared.token}}' } },
      call_timeout_ms: 1_000,
    });
    expect(faulty.status, faulty.text).toBe(201);
    await call('POST', '/v1/agents', beta, {
      id: 'faults',
      name: 'Faults',
      config: { tools: [], mcp_servers: [{ server: 'faulty', tools: ['hang', 'malformed', 'huge', 'vanish'] }] },
    });
    const session = await newSession(beta, 'faults');
    // Tenant alpha keeps working with its own server meanwhile.
    const alpha = keys.alpha as Record<string, string>;
    await call('POST', '/v1/mcp-servers', alpha, { name: 'bystander', url: everything.url });
    await call('POST', '/v1/agents', alpha, {
      id: 'bystander',
      name: 'Bystander',
      config: { tools: [], mcp_servers: [{ server: 'bystander', tools: ['echo'] }] },
    });
    const expected = {
      hang: 'MCP_TIMEOUT',
      malformed: 'MCP_PROTOCOL_ERROR',
      huge: 'MCP_RESULT_TOO_LARGE',
      vanish: 'MCP_',
    } as const;
    for (const [tool, code] of Object.entries(expected)) {
      const turn = await call('POST', `/v1/sessions/${session}/messages`, beta, { content: `run faulty__${tool}` });
      expect(turn.status, turn.text).toBe(200);
      const result = turn.json().messages[1].content[0];
      expect(result).toMatchObject({ type: 'tool-result', toolName: `faulty__${tool}`, isError: true });
      expect(result.output, tool).toMatch(new RegExp(`^${code}`));
      expect(turn.json().reply.status).toBe('completed');
      const bystander = await newSession(alpha, 'bystander');
      const fine = await call('POST', `/v1/sessions/${bystander}/messages`, alpha, {
        content: 'bystander__echo {"message":"still here"}',
      });
      expect(fine.json().messages[1].content[0].output).toBe('Echo: still here');
    }
  });
});
