import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithKey } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// biome-ignore lint/suspicious/noExplicitAny: an MCP tool result, asserted field by field.
type Json = any;

const ADMIN = `admin-${'s'.repeat(40)}`;
let t: TestApp;
let url: string;
let key: string;

beforeAll(async () => {
  // Slow simulated replies, so that a tool call is still running when shutdown begins.
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN }, { simulatedWordDelayMs: 40 });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  ({ key } = await createTenantWithKey(url, ADMIN, 'mcp-drain'));
});
afterAll(async () => {
  await t.dispose();
});

describe('MCP and graceful shutdown', () => {
  it('lets a tool call in flight finish and store its turn, then closes the MCP handler and the listener', async () => {
    const client = new Client({ name: 'drain-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    const calling = client.callTool({ name: 'default', arguments: { message: 'Finish me before you go' } });
    // The turn is running once its user message is stored.
    const sessions = async () =>
      (await (await fetch(`${url}/v1/sessions`, { headers: { authorization: `Bearer ${key}` } })).json()) as Json;
    for (let attempt = 0; attempt < 200 && (await sessions()).data[0]?.message_count !== 1; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const closing = t.close();
    const result = (await calling) as Json;
    expect(result.isError ?? false).toBe(false);
    expect(result.content[0].text.length).toBeGreaterThan(0);
    await closing;
    // The turn committed before the stores closed: a new process on the same database reads it.
    const after = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN }, { dir: t.dir });
    try {
      const stored = await after.app.inject({
        method: 'GET',
        url: `/v1/sessions/${result.structuredContent.session_id}/messages`,
        headers: { authorization: `Bearer ${key}` },
      });
      expect(stored.json().data.map((message: Json) => message.role)).toEqual(['user', 'assistant']);
    } finally {
      await after.dispose();
    }
    await expect(fetch(`${url}/mcp`, { method: 'POST' })).rejects.toThrow();
    await client.close().catch(() => {});
  });
});
