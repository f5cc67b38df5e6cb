import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OutboundBlockedError } from '../../src/outbound/outbound-errors.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';
import { parseOutboundAllow } from '../../src/outbound/outbound-policy.ts';

/**
 * The guarded fetch as the MCP SDK's transport `fetch`: a real MCP server (the official server
 * SDK) on loopback, reached through the allowlist, and refused without it.
 */

let server: Server;
let origin: string;
let requests = 0;

/** node:http in front of the SDK's web-standard handler. */
function nodeHandler(handler: { fetch: (request: Request) => Promise<Response> }) {
  return async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers))
      if (typeof value === 'string') headers.set(name, value);
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    const response = await handler.fetch(
      new Request(`${origin}${incoming.url}`, { method: incoming.method, headers, ...(body ? { body } : {}) }),
    );
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) for await (const chunk of response.body) outgoing.write(chunk);
    outgoing.end();
  };
}

beforeAll(async () => {
  const handler = createMcpHandler(() => {
    const mcp = new McpServer({ name: 'echo-server', version: '1.0.0' });
    mcp.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
      content: [{ type: 'text', text: `echo: ${text}` }],
    }));
    return mcp;
  });
  server = createServer(nodeHandler(handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createOutboundFetch as the MCP SDK transport fetch', () => {
  it('lists and calls tools on an allowed loopback MCP server', async () => {
    const fetch = createOutboundFetch({ policy: parseOutboundAllow(new URL(origin).host) });
    const client = new Client({ name: 'enclave-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { fetch }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['echo']);
      const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      expect(result.content).toEqual([{ type: 'text', text: 'echo: hi' }]);
    } finally {
      await client.close();
    }
  });

  it('refuses the same server outside the allowlist: OUTBOUND_BLOCKED reaches the caller, no request reaches the server', async () => {
    const before = requests;
    const fetch = createOutboundFetch({ policy: parseOutboundAllow('') });
    const client = new Client({ name: 'enclave-test', version: '1.0.0' });
    const error = await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { fetch })).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    // The SDK hands the fetch's rejection through unchanged: callers can match on `code`.
    expect(error).toBeInstanceOf(OutboundBlockedError);
    expect(error).toMatchObject({ code: 'OUTBOUND_BLOCKED', reason: 'loopback' });
    expect(requests).toBe(before);
  });
});
