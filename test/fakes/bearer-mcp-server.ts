import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';

/** One tool call the server answered: which bearer token it carried. */
export interface BearerCall {
  token: string;
  tool: string;
}

export interface BearerMcpServer {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  /** Every tools/call that passed the token check, in order. */
  calls: BearerCall[];
  /** Requests refused for a missing or unknown token. */
  refused: number;
  close(): Promise<void>;
}

/**
 * An MCP server written with the official server SDK (`@modelcontextprotocol/server`, Streamable
 * HTTP, stateless) on a loopback port. Every request must carry `Authorization: Bearer <token>`
 * with one of `tokens` (else 401); the `whoami` tool answers with the token it was called with.
 * For the fault tests, tools/call of `hang`, `malformed`, `huge` and `vanish` misbehave at the HTTP
 * level: no answer ever, a body that is not JSON-RPC, a 50 MB result streamed without end of
 * buffering here, and a connection dropped mid-answer.
 */
export async function startBearerMcpServer(tokens: readonly string[]): Promise<BearerMcpServer> {
  const calls: BearerCall[] = [];
  const state = { refused: 0 };
  let base = '';

  async function mcp(request: Request, token: string): Promise<Response> {
    const server = new McpServer({ name: 'bearer-fixture', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The bearer token this call carries' }, async () => {
      calls.push({ token, tool: 'whoami' });
      return { content: [{ type: 'text' as const, text: `token=${token}` }] };
    });
    for (const name of ['hang', 'malformed', 'huge', 'vanish']) {
      server.registerTool(name, { description: `Misbehaves: ${name}` }, async () => ({ content: [] }));
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    return transport.handleRequest(request);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!tokens.includes(token)) {
      state.refused++;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
      return;
    }
    let message: { method?: string; id?: unknown; params?: { name?: string } } = {};
    try {
      message = JSON.parse(body.toString('utf8') || '{}');
    } catch {}
    const fault = message.method === 'tools/call' ? message.params?.name : undefined;
    if (fault === 'hang') return; // never answers; the client gives up
    if (fault === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":');
      return;
    }
    if (fault === 'vanish') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0","id":');
      res.socket?.destroy();
      return;
    }
    if (fault === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"jsonrpc":"2.0","id":${JSON.stringify(message.id)},"result":{"content":[{"type":"text","text":"`);
      const megabyte = 'x'.repeat(1024 * 1024);
      for (let sent = 0; sent < 50 && !res.destroyed; sent++) {
        if (!res.write(megabyte)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
      }
      if (!res.destroyed) res.end('"}]}}');
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE';
    const response = await mcp(
      new Request(new URL(req.url ?? '/', base), {
        method: req.method ?? 'GET',
        headers,
        ...(hasBody ? { body } : {}),
      }),
      token,
    );
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    res.writeHead(response.status, out);
    if (response.body) for await (const chunk of response.body) res.write(chunk);
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/mcp`,
    calls,
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
