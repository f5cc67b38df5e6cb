import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injector } from '../helpers/request.ts';
import { cliAgainst } from '../helpers/run-cli.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON bodies, asserted field by field.
type Json = any;

const ADMIN = `admin-${'p'.repeat(40)}`;
/** In the test process's environment: a platform server must never see it. */
const CANARY = 'ENCLAVE_PLATFORM_MCP_TEST_CANARY';

const everythingEntry = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist/index.js',
);

/**
 * Platform MCP servers end to end: the operator declares the reference server (server-everything)
 * as a stdio process, and a second declaration with a tool allowlist; tenants enable their tools
 * in an agent's `tools` like built-in ones. Everything stays on this machine: stdio pipes only.
 */
describe('platform MCP servers (operator-declared, stdio)', () => {
  let t: TestApp;
  const keys: Record<string, Record<string, string>> = {};
  const servers = JSON.stringify([
    {
      name: 'everything',
      description: 'The MCP reference server',
      transport: 'stdio',
      command: process.execPath,
      args: [everythingEntry, 'stdio'],
      env: { PLATFORM_NOTE: { env: 'PLATFORM_NOTE_SOURCE' } },
    },
    {
      name: 'sums',
      transport: 'stdio',
      command: process.execPath,
      args: [everythingEntry, 'stdio'],
      tools: ['get-sum'],
    },
    { name: 'broken', transport: 'stdio', command: '/nonexistent/enclave-test-mcp-server' },
  ]);
  const call = (...args: Parameters<ReturnType<typeof injector>>) => injector(t.app)(...args);
  const admin = { authorization: `Bearer ${ADMIN}` };

  beforeAll(async () => {
    process.env[CANARY] = 'must-not-leak';
    t = await createTestApp({
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: ADMIN,
      ENCLAVE_PLATFORM_MCP_SERVERS: servers,
      PLATFORM_NOTE_SOURCE: 'from-the-operator',
    });
    for (const tenantId of ['alpha', 'beta']) {
      expect((await call('POST', '/v1/admin/tenants', admin, { id: tenantId })).status).toBe(201);
      const key = await call('POST', `/v1/admin/tenants/${tenantId}/keys`, admin, {
        name: 'app',
        scopes: ['chat', 'history:read', 'config:write'],
      });
      keys[tenantId] = { authorization: `Bearer ${key.json().key}` };
    }
  });
  afterAll(async () => {
    delete process.env[CANARY];
    await t?.dispose();
  });

  async function turn(headers: Record<string, string>, agentId: string, content: string, stream = false) {
    const session = await call('POST', '/v1/sessions', headers, { agent_id: agentId });
    expect(session.status, session.text).toBe(201);
    return t.app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.json().id}/messages`,
      headers: { ...headers, ...(stream ? { accept: 'text/event-stream' } : {}) },
      payload: { content },
    });
  }

  it('lists the declared servers without their command or environment, and their tools live', async () => {
    const alpha = keys.alpha as Record<string, string>;
    const listed = await call('GET', '/v1/platform-mcp-servers', alpha);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.json().data).toEqual([
      {
        object: 'platform_mcp_server',
        name: 'everything',
        description: 'The MCP reference server',
        transport: 'stdio',
        tools: null,
      },
      { object: 'platform_mcp_server', name: 'sums', description: null, transport: 'stdio', tools: ['get-sum'] },
      { object: 'platform_mcp_server', name: 'broken', description: null, transport: 'stdio', tools: null },
    ]);
    expect(listed.text).not.toContain(everythingEntry);
    expect(listed.text).not.toContain('from-the-operator');

    const tools = await call('GET', '/v1/platform-mcp-servers/everything/tools', alpha);
    expect(tools.status, tools.text).toBe(200);
    expect(tools.json().data.map((tool: Json) => tool.model_name)).toEqual(
      expect.arrayContaining(['everything__echo', 'everything__get-sum', 'everything__get-env']),
    );
    // The allowlist narrows what the server lists.
    const sums = await call('GET', '/v1/platform-mcp-servers/sums/tools', alpha);
    expect(sums.json().data.map((tool: Json) => tool.model_name)).toEqual(['sums__get-sum']);
    const missing = await call('GET', '/v1/platform-mcp-servers/nothing/tools', alpha);
    expect(missing.status).toBe(404);
    expect(missing.json().code).toBe('MCP_SERVER_NOT_FOUND');
    expect((await call('GET', '/v1/platform-mcp-servers', {})).status).toBe(401);
    // A server whose process cannot start answers the documented code, not a 500.
    const broken = await call('GET', '/v1/platform-mcp-servers/broken/tools', alpha);
    expect(broken.status, broken.text).toBe(502);
    expect(broken.json().code).toBe('MCP_SERVER_UNAVAILABLE');
  });

  it('refuses tool names no platform server offers, and accepts the ones it does', async () => {
    const alpha = keys.alpha as Record<string, string>;
    for (const [name, code] of [
      ['nothing__echo', 'UNKNOWN_TOOL'],
      ['sums__echo', 'UNKNOWN_TOOL'],
      ['sums__*x', 'VALIDATION_FAILED'],
      ['everything__bad name', 'VALIDATION_FAILED'],
    ]) {
      const refused = await call('POST', '/v1/agents', alpha, {
        id: 'wrong',
        name: 'Wrong',
        config: { tools: [name] },
      });
      expect(refused.status, name).toBe(422);
      expect(refused.json().code, name).toBe(code);
    }
    for (const [id, tools] of [
      ['one', ['everything__echo', 'current_time']],
      ['all', ['everything__*']],
      ['sums', ['sums__*']],
    ] as const) {
      const agent = await call('POST', '/v1/agents', alpha, { id, name: id, config: { tools } });
      expect(agent.status, agent.text).toBe(201);
    }
  });

  it('runs platform tools in the tool loop for every tenant, JSON and streamed, stored and charged', async () => {
    const alpha = keys.alpha as Record<string, string>;
    const echoed = await turn(alpha, 'one', 'please run everything__echo {"message":"hello platform"}');
    expect(echoed.statusCode, echoed.body).toBe(200);
    const body = echoed.json();
    expect(body.messages.map((message: Json) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
    expect(body.messages[1].content[0]).toMatchObject({
      type: 'tool-result',
      toolName: 'everything__echo',
      output: 'Echo: hello platform',
    });
    expect(body.usage.total_tokens).toBeGreaterThan(0);

    const streamed = await turn(alpha, 'sums', 'now sums__get-sum {"a":20,"b":22}', true);
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).toContain('event: tool-result');
    expect(streamed.body).toContain('The sum of 20 and 22 is 42.');

    // Another tenant enables the same shared server for its own agent.
    const beta = keys.beta as Record<string, string>;
    expect(
      (await call('POST', '/v1/agents', beta, { id: 'b', name: 'b', config: { tools: ['everything__*'] } })).status,
    ).toBe(201);
    const betaTurn = await turn(beta, 'b', 'please run everything__echo {"message":"hello beta"}');
    expect(betaTurn.json().messages[1].content[0].output).toBe('Echo: hello beta');

    // An agent that enabled only echo never gets get-env, even when the model asks for it.
    const outside = await turn(alpha, 'one', 'please run everything__get-env {}');
    expect(outside.statusCode).toBe(200);
    expect(outside.body).not.toContain('PATH');
  });

  it("starts the process with the operator's env and the safe defaults, never Enclave's own environment", async () => {
    const alpha = keys.alpha as Record<string, string>;
    const response = await turn(alpha, 'all', 'please run everything__get-env {}');
    expect(response.statusCode, response.body).toBe(200);
    const output = response.json().messages[1].content[0].output as string;
    const env = JSON.parse(output);
    expect(env.PLATFORM_NOTE).toBe('from-the-operator');
    expect(env.PATH).toBeTruthy();
    expect(env[CANARY]).toBeUndefined();
    expect(output).not.toContain(ADMIN);
  });

  it('the CLI lists the declared servers and their tools', async () => {
    const { enclaveJson } = cliAgainst(() => t.config.databaseUrl);
    process.env.ENCLAVE_PLATFORM_MCP_SERVERS = servers;
    process.env.PLATFORM_NOTE_SOURCE = 'from-the-operator';
    try {
      const listed = await enclaveJson('platform-mcp-servers', 'list');
      expect(listed.data.map((server: Json) => server.name)).toEqual(['everything', 'sums', 'broken']);
      const tools = await enclaveJson('platform-mcp-servers', 'tools', 'sums');
      expect(tools.data.map((tool: Json) => tool.model_name)).toEqual(['sums__get-sum']);
      // The CLI checks agent tools against the same catalog as the API.
      const agent = await enclaveJson(
        'agents',
        'create',
        'cli-agent',
        '--tenant',
        'alpha',
        '--config',
        '{"tools":["sums__get-sum","search_history"]}',
      );
      expect(agent.config.tools).toEqual(['sums__get-sum', 'search_history']);
    } finally {
      delete process.env.ENCLAVE_PLATFORM_MCP_SERVERS;
      delete process.env.PLATFORM_NOTE_SOURCE;
    }
  });
});
