/**
 * The client under test of `npx @modelcontextprotocol/conformance client` (docs/tools-oauth.md,
 * `npm run conformance:client`). The suite starts a scenario server and runs
 * `node test/conformance/mcp-client-harness.ts <server-url>` with the scenario in
 * MCP_CONFORMANCE_SCENARIO (and, for some, credentials in MCP_CONFORMANCE_CONTEXT).
 *
 * OAuth goes through Enclave's own code, the way a tenant's server does: grants in a real
 * (in-memory SQLite) store, sealed under a tenant data key, the authorization started and
 * completed as a tenant admin would (`startAuthorization` / `completeAuthorization`, here with the
 * harness playing the browser), and the transport authenticated by Enclave's single-flight
 * `AuthProvider`. Nothing leaves loopback: the scenario servers listen on localhost.
 */
import { randomBytes } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { McpAuth } from '../../src/core/mcp/mcp-server.ts';
import { createSecretService } from '../../src/core/secrets/secret-service.ts';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';
import { parseOutboundAllow } from '../../src/outbound/outbound-policy.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { createMcpOAuth } from '../../src/tools/mcp/oauth/mcp-oauth.ts';
import { oauthServerOf } from '../../src/tools/mcp/oauth/mcp-oauth-records.ts';
import type { McpOAuthServer, McpOAuthSettings } from '../../src/tools/mcp/oauth/mcp-oauth-server.ts';

const TENANT = 'conformance';
/** Enclave's outbound client, as in production, with the operator allowlist opening loopback only (the scenario servers). */
const outbound = createOutboundFetch({ policy: parseOutboundAllow('localhost,127.0.0.0/8,::1') });
const REDIRECT = 'http://localhost:3000/callback';

interface Context {
  name: string;
  client_id?: string;
  client_secret?: string;
}

async function enclave() {
  const opened = await createStorage({ databaseUrl: 'sqlite::memory:', migrate: true, sqliteSynchronous: 'NORMAL' });
  await opened.admin.createTenant({ id: TENANT, name: TENANT });
  const secrets = createSecretService({ storage: opened.storage, masterKey: randomBytes(32) });
  const oauth = createMcpOAuth({ store: opened.mcpOAuth, secrets, fetch: outbound, redirectUrl: REDIRECT });
  /** Stores the server record (as POST /v1/mcp-servers does) and returns what OAuth reads of it. */
  async function register(url: string, auth: Extract<McpAuth, { type: 'oauth' }>): Promise<McpOAuthServer> {
    const at = new Date().toISOString();
    const record = {
      id: 'conformance',
      name: 'conformance',
      url,
      transport: 'streamable-http' as const,
      auth,
      tools: null,
      callTimeoutMs: null,
      perUserCredentials: false,
      createdAt: at,
      updatedAt: at,
    };
    await opened.mcpServers.create(TENANT, record);
    return oauthServerOf(record) as McpOAuthServer;
  }
  return { oauth, secrets, register };
}

const context = (): Context | null => {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  return raw ? (JSON.parse(raw) as Context) : null;
};

/** Connects, lists the tools and calls `tool` when the server has it. */
async function session(
  url: string,
  authProvider?: ReturnType<Awaited<ReturnType<typeof enclave>>['oauth']['authProvider']>,
  tool?: { name: string; arguments: Record<string, unknown> },
) {
  const client = new Client({ name: 'enclave', version: '1.0.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: outbound,
    ...(authProvider ? { authProvider } : {}),
  });
  await client.connect(transport);
  const { tools } = await client.listTools();
  if (tool && tools.some((listed) => listed.name === tool.name)) await client.callTool(tool);
  await client.close();
}

/** The admin authorizes the server (the harness follows the authorization server's redirect), then a turn connects. */
async function authorizationCode(url: string, settings: Partial<McpOAuthSettings> = {}) {
  const { oauth, secrets, register } = await enclave();
  const ctx = context();
  if (ctx?.client_id) {
    settings.clientId = ctx.client_id;
    if (ctx.client_secret) {
      await secrets.put(TENANT, 'conformance.client_secret', ctx.client_secret);
      settings.clientSecretName = 'conformance.client_secret';
    }
  }
  const server = await register(url, {
    type: 'oauth',
    grant: 'authorization_code',
    clientId: settings.clientId ?? null,
    clientSecretName: settings.clientSecretName ?? null,
    scope: null,
  });
  const caller = { tenantId: TENANT };
  /** What POST /v1/mcp-servers/{id}/oauth/authorize and the callback route do, with the harness as the browser. */
  async function adminAuthorizes() {
    const { authorizationUrl } = await oauth.startAuthorization(server, caller);
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (!location) throw new Error(`the authorization server did not redirect (${response.status})`);
    const back = new URL(location);
    await oauth.completeAuthorization(
      {
        code: back.searchParams.get('code') ?? '',
        state: back.searchParams.get('state') ?? '',
        iss: back.searchParams.get('iss') ?? undefined,
      },
      async (tenantId, serverId) => (tenantId === TENANT && serverId === server.id ? server : null),
    );
  }
  const turn = () => session(url, oauth.authProvider(server, caller), { name: 'test-tool', arguments: {} });
  await adminAuthorizes();
  try {
    await turn();
  } catch (error) {
    // A turn that hit 403 insufficient_scope fails with MCP_OAUTH_AUTHORIZATION_REQUIRED and keeps
    // the scope; the admin authorizes again (now asking for the wider scope) and the next turn runs.
    const mapped = await oauth.failure(server, caller, error);
    if (mapped?.code !== 'MCP_OAUTH_AUTHORIZATION_REQUIRED') throw error;
    await adminAuthorizes();
    await turn();
  }
}

async function clientCredentials(url: string) {
  const { oauth, secrets, register } = await enclave();
  const ctx = context();
  if (!ctx?.client_id || !ctx.client_secret) throw new Error('the scenario gave no client credentials');
  await secrets.put(TENANT, 'conformance.client_secret', ctx.client_secret);
  const server = await register(url, {
    type: 'oauth',
    grant: 'client_credentials',
    clientId: ctx.client_id,
    clientSecretName: 'conformance.client_secret',
    scope: null,
  });
  await session(url, oauth.authProvider(server, { tenantId: TENANT }));
}

async function main() {
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  const url = process.argv[2];
  if (!url) throw new Error('usage: MCP_CONFORMANCE_SCENARIO=<scenario> mcp-client-harness.ts <server-url>');
  if (scenario === 'initialize') return session(url);
  if (scenario === 'tools_call') return session(url, undefined, { name: 'add_numbers', arguments: { a: 5, b: 3 } });
  // The tool's SSE stream is cut mid-call; the transport resumes it (Last-Event-ID, after the server's retry delay).
  if (scenario === 'sse-retry') return session(url, undefined, { name: 'test_reconnection', arguments: {} });
  if (scenario === 'auth/client-credentials-basic') return clientCredentials(url);
  if (scenario.startsWith('auth/')) return authorizationCode(url);
  throw new Error(`scenario ${scenario} is not supported by Enclave's MCP client (see the baseline)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
