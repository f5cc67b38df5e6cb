import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, createTenantWithKey } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON bodies and MCP results, asserted field by field.
type Json = any;

const ADMIN = `admin-${'m'.repeat(40)}`;
const PLATFORM_SECRET = 'mcp-platform-secret-0123456789abcdefghij';
const jwt = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(PLATFORM_SECRET));
let t: TestApp;
let url: string;
let keyA: string;
let keyB: string;
const clients: Client[] = [];

/** The official MCP client over Streamable HTTP, with the key as bearer token; `modern` negotiates 2026-07-28. */
async function connect(token: string | null, options: { modern?: boolean } = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: token === null ? {} : { authorization: `Bearer ${token}` } },
  });
  const client = new Client(
    { name: 'enclave-test', version: '1.0.0' },
    options.modern ? { versionNegotiation: { mode: 'auto' } } : {},
  );
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function api(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, ENCLAVE_JWT_SECRET: PLATFORM_SECRET });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  keyA = (await createTenantWithKey(url, ADMIN, 'mcp-a')).key;
  keyB = (await createTenantWithKey(url, ADMIN, 'mcp-b')).key;
  for (const agent of [
    { id: 'support', name: 'Support', description: 'Answers support questions' },
    { id: 'research', name: 'Research' },
  ]) {
    expect((await api('POST', '/v1/agents', keyA, { ...agent, config: {} })).status).toBe(201);
  }
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await t.dispose();
});

describe.each([
  ['2025 (legacy) client', false],
  ['2026-07-28 client', true],
])('MCP server with a %s', (_name, modern) => {
  it("lists one tool per agent of the key's tenant, with the message/session_id input", async () => {
    const client = await connect(keyA, { modern });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['default', 'research', 'support']);
    const support = tools.find((tool) => tool.name === 'support') as Json;
    expect(support.title).toBe('Support');
    expect(support.description).toBe('Answers support questions');
    expect(Object.keys(support.inputSchema.properties).sort()).toEqual(['message', 'session_id']);
    expect(support.inputSchema.required).toEqual(['message']);
    expect(support.outputSchema.properties).toHaveProperty('session_id');
  });

  it('runs a real turn per call, stores it in the session, charges usage, and continues the session', async () => {
    const client = await connect(keyA, { modern });
    const first = (await client.callTool({ name: 'support', arguments: { message: 'Hello over MCP' } })) as Json;
    expect(first.isError ?? false).toBe(false);
    const reply = first.content[0].text as string;
    expect(reply.length).toBeGreaterThan(0);
    const out = first.structuredContent;
    expect(out).toMatchObject({ agent_id: 'support', agent_version: 1 });
    expect(out.usage.total_tokens).toBeGreaterThan(0);

    const session = await api('GET', `/v1/sessions/${out.session_id}`, keyA);
    expect(session.body).toMatchObject({ agent_id: 'support', message_count: 2 });
    const stored = await api('GET', `/v1/sessions/${out.session_id}/messages`, keyA);
    expect(stored.body.data.map((message: Json) => message.role)).toEqual(['user', 'assistant']);
    expect(stored.body.data[0].content[0].text).toBe('Hello over MCP');
    expect(stored.body.data[1].content[0].text).toBe(reply);
    expect(stored.body.data[1].turn_id).toBe(out.turn_id);

    const second = (await client.callTool({
      name: 'support',
      arguments: { message: 'And again', session_id: out.session_id },
    })) as Json;
    expect(second.structuredContent.session_id).toBe(out.session_id);
    expect(second.structuredContent.turn_id).not.toBe(out.turn_id);
    expect((await api('GET', `/v1/sessions/${out.session_id}`, keyA)).body.message_count).toBe(4);

    // Each call is one usage record of its turn, charged to the calling key, with the tokens it returned.
    const records = (await api('GET', '/v1/usage/records?limit=100', keyA)).body.data as Json[];
    for (const call of [out, second.structuredContent]) {
      const record = records.find((entry) => entry.turn_id === call.turn_id);
      expect(record).toMatchObject({ status: 'completed', total_tokens: call.usage.total_tokens });
      expect(record.key_id).toMatch(/^key_/);
    }
  });

  it('makes a tool call with _meta enclave/idempotency_key exactly-once: a retry replays, another body is refused', async () => {
    const client = await connect(keyA, { modern });
    const key = `mcp-retry-${modern ? 'modern' : 'legacy'}`;
    const call = (message: string) =>
      client.callTool({
        name: 'support',
        arguments: { message },
        _meta: { 'enclave/idempotency_key': key },
      }) as Promise<Json>;
    const first = await call('Exactly once');
    const retry = await call('Exactly once');
    expect(retry.structuredContent).toEqual(first.structuredContent);
    expect(retry.content).toEqual(first.content);
    const session = await api('GET', `/v1/sessions/${first.structuredContent.session_id}`, keyA);
    expect(session.body.message_count).toBe(2);
    const other = await call('Another message');
    expect(other.isError).toBe(true);
    expect(other._meta['enclave/error'].code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers tool errors with the stable code: unknown session, and a session of another agent', async () => {
    const client = await connect(keyA, { modern });
    const missing = (await client.callTool({
      name: 'support',
      arguments: { message: 'hi', session_id: 'ses_does_not_exist' },
    })) as Json;
    expect(missing.isError).toBe(true);
    expect(missing.content[0].text).toMatch(/^SESSION_NOT_FOUND: /);
    expect(missing._meta['enclave/error']).toEqual({ code: 'SESSION_NOT_FOUND', status: 404, retryable: false });

    const research = (await client.callTool({ name: 'research', arguments: { message: 'start' } })) as Json;
    const crossed = (await client.callTool({
      name: 'support',
      arguments: { message: 'hi', session_id: research.structuredContent.session_id },
    })) as Json;
    expect(crossed.isError).toBe(true);
    expect(crossed._meta['enclave/error'].code).toBe('VALIDATION_FAILED');
  });

  it('lists the sessions as enclave://sessions/{id} resources and reads one history', async () => {
    const client = await connect(keyA, { modern });
    const started = (await client.callTool({ name: 'research', arguments: { message: 'Read me back' } })) as Json;
    const sessionId = started.structuredContent.session_id;
    const { resources } = await client.listResources();
    expect(resources[0]).toMatchObject({ uri: `enclave://sessions/${sessionId}`, mimeType: 'application/json' });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual(['enclave://sessions/{session_id}']);

    const read = await client.readResource({ uri: `enclave://sessions/${sessionId}` });
    const body = JSON.parse((read.contents[0] as Json).text);
    expect(body.session).toMatchObject({ id: sessionId, agent_id: 'research', message_count: 2 });
    expect(body.messages.map((message: Json) => message.role)).toEqual(['user', 'assistant']);
    expect(body.messages[0].content[0].text).toBe('Read me back');
    expect(body.has_earlier_messages).toBe(false);

    await expect(client.readResource({ uri: 'enclave://sessions/ses_missing' })).rejects.toThrow(/not found/i);
  });
});

describe('MCP resource pagination', () => {
  it('pages through more sessions than one page with nextCursor, each exactly once', async () => {
    const key = (await createTenantWithKey(url, ADMIN, 'mcp-pages')).key;
    const created: string[] = [];
    for (let index = 0; index < 53; index++) created.push((await api('POST', '/v1/sessions', key, {})).body.id);
    const client = await connect(key);
    // Page by page, as the protocol sends them: 50, then the 3 left.
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.request({ method: 'resources/list', params: cursor === undefined ? {} : { cursor } });
      sizes.push(page.resources.length);
      seen.push(...page.resources.map((resource) => resource.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(sizes).toEqual([50, 3]);
    expect([...seen].sort()).toEqual([...created].sort());
    // The client's own aggregate walk sees each session once.
    const all = await client.listResources();
    expect(all.resources.map((resource) => resource.name).sort()).toEqual([...created].sort());
    await expect(client.listResources({ cursor: 'not-a-cursor' })).rejects.toThrow(/INVALID_CURSOR/);
  });
});

describe('MCP authentication and isolation', () => {
  it('answers 401 problem+json with a Bearer challenge without a key and with a bad one', async () => {
    for (const [headers, challenge] of [
      [{}, 'Bearer realm="enclave"'],
      [{ authorization: 'Bearer ek_not_a_real_key' }, 'Bearer realm="enclave", error="invalid_token"'],
    ] as const) {
      const response = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toBe(challenge);
      expect(((await response.json()) as Json).code).toBe('UNAUTHENTICATED');
    }
    await expect(connect(null)).rejects.toThrow();
    await expect(connect('ek_not_a_real_key')).rejects.toThrow();
  });

  it("accepts a JWT: the tenant and the end user come from its claims, and the session is the user's", async () => {
    const token = await jwt({ tenant_id: 'mcp-a', sub: 'user-7', scope: 'chat history:read' });
    const client = await connect(token);
    const result = (await client.callTool({ name: 'support', arguments: { message: 'From a JWT' } })) as Json;
    expect(result.isError ?? false).toBe(false);
    const session = await api('GET', `/v1/sessions/${result.structuredContent.session_id}`, keyA);
    expect(session.body).toMatchObject({ user_id: 'user-7', agent_id: 'support' });
    const expired = await new SignJWT({ tenant_id: 'mcp-a', scope: 'chat' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('-10m')
      .sign(new TextEncoder().encode(PLATFORM_SECRET));
    await expect(connect(expired)).rejects.toThrow();
  });

  it("refuses a key with neither chat nor history:read (403), and serves only what a key's scopes allow", async () => {
    const configOnly = (await createKey(url, ADMIN, 'mcp-a', { name: 'cfg', scopes: ['config:write'] })).key;
    const refused = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${configOnly}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(((await refused.json()) as Json).code).toBe('INSUFFICIENT_SCOPE');

    const readOnly = (await createKey(url, ADMIN, 'mcp-a', { name: 'ro', scopes: ['history:read'] })).key;
    const reader = await connect(readOnly);
    expect(reader.getServerCapabilities()?.tools).toBeUndefined();
    expect((await reader.listResources()).resources.length).toBeGreaterThan(0);
  });

  it("shows tenant B none of tenant A's agents or sessions; A's session is not found exactly like a missing one", async () => {
    const a = await connect(keyA);
    const started = (await a.callTool({ name: 'support', arguments: { message: 'secret of A' } })) as Json;
    const sessionA = started.structuredContent.session_id as string;

    const b = await connect(keyB);
    expect((await b.listTools()).tools.map((tool) => tool.name)).toEqual(['default']);
    expect((await b.listResources()).resources).toEqual([]);
    const foreign = await b.readResource({ uri: `enclave://sessions/${sessionA}` }).catch((error: Error) => error);
    const missing = await b.readResource({ uri: 'enclave://sessions/ses_missing0000' }).catch((error: Error) => error);
    expect(foreign).toBeInstanceOf(Error);
    expect((foreign as Json).code).toBe((missing as Json).code);
    expect(String((foreign as Error).message).replace(sessionA, 'ID')).toBe(
      String((missing as Error).message).replace('ses_missing0000', 'ID'),
    );

    const call = (await b.callTool({ name: 'default', arguments: { message: 'hi', session_id: sessionA } })) as Json;
    expect(call.isError).toBe(true);
    expect(call._meta['enclave/error'].code).toBe('SESSION_NOT_FOUND');
    // A's agent is no tool of B's: the SDK's unknown-tool error, exactly as for a name no tenant has.
    const foreignTool = await b
      .callTool({ name: 'support', arguments: { message: 'hi' } })
      .catch((error: Error) => error);
    const noTool = await b.callTool({ name: 'nobody', arguments: { message: 'hi' } }).catch((error: Error) => error);
    expect((foreignTool as Error).message.replace('support', 'X')).toBe(
      (noTool as Error).message.replace('nobody', 'X'),
    );
    // Tenant A's session is untouched.
    expect((await api('GET', `/v1/sessions/${sessionA}`, keyA)).body.message_count).toBe(2);
  });

  it('refuses a DNS-rebound request (foreign Host or Origin) with 403 HOST_NOT_ALLOWED', async () => {
    const { request } = await import('node:http');
    const port = new URL(url).port;
    for (const headers of [
      { host: `evil.example.com:${port}`, origin: `http://evil.example.com:${port}` },
      { host: `127.0.0.1:${port}`, origin: 'https://evil.example.com' },
    ]) {
      // fetch() cannot set Host: node:http sends exactly these headers to the loopback listener.
      const answer = await new Promise<{ status: number; type: string; body: Json }>((resolve, reject) => {
        const sent = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/mcp',
            headers: { ...headers, authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
          },
          (response) => {
            let text = '';
            response.on('data', (chunk) => {
              text += chunk;
            });
            response.on('end', () =>
              resolve({
                status: response.statusCode ?? 0,
                type: String(response.headers['content-type']),
                body: JSON.parse(text),
              }),
            );
          },
        );
        sent.on('error', reject);
        sent.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
      });
      expect(answer.status).toBe(403);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body.code).toBe('HOST_NOT_ALLOWED');
    }
  });

  it('answers a body over the limit with 413 problem+json and a non-JSON body with 415', async () => {
    const big = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keyA}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'ping',
        params: { pad: 'x'.repeat(t.config.bodyLimitBytes) },
      }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as Json).code).toBe('PAYLOAD_TOO_LARGE');
    const text = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'text/plain' },
      body: 'ping',
    });
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // Stateless: no 2025 standalone SSE stream and no session to end (the transport's 405).
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${url}/mcp`, {
        method,
        headers: { authorization: `Bearer ${keyA}`, accept: 'text/event-stream' },
      });
      expect(response.status).toBe(405);
    }
  });
});
