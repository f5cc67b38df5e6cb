import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpAuth } from '../../src/core/mcp/mcp-server.ts';
import { createStorage, type OpenedStorage } from '../../src/storage/create-storage.ts';
import { type OAuthMcpFixture, startOAuthMcpFixture } from '../helpers/oauth-mcp-fixture.ts';
import { openRawDatabase } from '../helpers/raw-database.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'o'.repeat(40)}`;
const JWT_SECRET = `platform-jwt-${'s'.repeat(40)}`;
const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
const PUBLIC_URL = 'https://enclave.example.test';

/**
 * The OAuth routes of tenant MCP servers, end to end: a tenant admin (or an end user with a JWT)
 * asks for the authorization URL, the browser signs in at a real loopback authorization server and
 * comes back to the public callback, and the grant is stored sealed. The server records come from
 * a map here until the MCP server store is merged (see `findMcpOAuthServer` in src/server.ts).
 */
describe('MCP server OAuth routes', () => {
  let t: TestApp;
  let fixture: OAuthMcpFixture;
  const keys: Record<string, string> = {};
  let records: OpenedStorage;
  /** A server record as POST /v1/mcp-servers stores it (written through the server store, beside the app). */
  async function putServer(tenantId: string, id: string, auth: McpAuth, perUserCredentials = false) {
    const at = new Date().toISOString();
    await records.mcpServers.create(tenantId, {
      id,
      name: id.replace(/[^a-z0-9-]/g, '-'),
      url: fixture.mcpUrl,
      transport: 'streamable-http',
      auth,
      tools: null,
      callTimeoutMs: null,
      perUserCredentials,
      createdAt: at,
      updatedAt: at,
    });
  }
  const oauthCode = {
    type: 'oauth',
    grant: 'authorization_code',
    clientId: null,
    clientSecretName: null,
    scope: null,
  } as const;

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object) => {
    const response = await t.app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.body, json: () => response.json() };
  };
  const userJwt = (tenantId: string, sub: string, scope = 'chat') =>
    new SignJWT({ tenant_id: tenantId, scope })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));

  /** Plays the browser: opens the URL, signs in as `user`, and follows the redirect to Enclave's callback. */
  async function signIn(authorizationUrl: string, user: string) {
    const url = new URL(authorizationUrl);
    url.searchParams.set('test_user', user);
    const redirect = await fetch(url, { redirect: 'manual' });
    const back = new URL(redirect.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(`${PUBLIC_URL}/v1/mcp-servers/oauth/callback`);
    return call('GET', `${back.pathname}${back.search}`);
  }

  beforeAll(async () => {
    fixture = await startOAuthMcpFixture();
    t = await createTestApp({
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: ADMIN,
      ENCLAVE_MASTER_KEY: MASTER_KEY,
      ENCLAVE_JWT_SECRET: JWT_SECRET,
      ENCLAVE_PUBLIC_URL: PUBLIC_URL,
      // The loopback authorization and MCP server are reached through the SSRF guard, allowed by port.
      ENCLAVE_OUTBOUND_ALLOW: `127.0.0.1:${new URL(fixture.mcpUrl).port}`,
    });
    records = await createStorage({ ...t.config, migrate: false });
    for (const tenant of ['acme', 'globex']) {
      expect((await call('POST', '/v1/admin/tenants', ADMIN, { id: tenant })).status).toBe(201);
      keys[tenant] = (await call('POST', `/v1/admin/tenants/${tenant}/keys`, ADMIN, { name: 'admin' })).json().key;
      await putServer(tenant, 'crm', oauthCode);
      await putServer(tenant, 'mail', oauthCode, true);
      await putServer(tenant, 'plain', { type: 'none' });
    }
  });
  afterAll(async () => {
    await records?.storage.close();
    await t?.dispose();
    await fixture?.close();
  });

  it('a tenant admin authorizes a server; the grant is stored sealed and never shown', async () => {
    expect((await call('GET', '/v1/mcp-servers/crm/oauth', keys.acme)).json()).toEqual({
      authorized: false,
      expires_at: null,
    });
    const started = await call('POST', '/v1/mcp-servers/crm/oauth/authorize', keys.acme);
    expect(started.status).toBe(200);
    const { authorization_url } = started.json();
    expect(new URL(authorization_url).searchParams.get('redirect_uri')).toBe(
      `${PUBLIC_URL}/v1/mcp-servers/oauth/callback`,
    );
    const done = await signIn(authorization_url, 'acme-admin');
    expect(done.status, done.body).toBe(200);
    expect(done.json()).toEqual({ status: 'authorized', server_id: 'crm', user_id: null });
    const status = (await call('GET', '/v1/mcp-servers/crm/oauth', keys.acme)).json();
    expect(status.authorized).toBe(true);
    expect(typeof status.expires_at).toBe('string');
    // globex has a server with the same id and no grant.
    expect((await call('GET', '/v1/mcp-servers/crm/oauth', keys.globex)).json().authorized).toBe(false);

    const raw = await openRawDatabase(t);
    try {
      const rows = await raw.all('SELECT tokens, client_info FROM mcp_oauth_grants');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(JSON.stringify(row)).not.toMatch(/access_token|refresh_token/);
      const audit = await raw.all("SELECT action FROM audit_log WHERE action LIKE 'mcp_server.oauth.%'");
      expect(audit.map((row) => row.action)).toEqual(
        expect.arrayContaining(['mcp_server.oauth.authorize', 'mcp_server.oauth.authorized']),
      );
    } finally {
      await raw.close();
    }
  });

  it('the callback state is single-use, and a bad or missing one answers MCP_OAUTH_STATE_INVALID', async () => {
    const { authorization_url } = (await call('POST', '/v1/mcp-servers/crm/oauth/authorize', keys.globex)).json();
    const url = new URL(authorization_url);
    url.searchParams.set('test_user', 'globex-admin');
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '');
    const callback = `${back.pathname}${back.search}`;
    expect((await call('GET', callback)).status).toBe(200);
    const again = await call('GET', callback);
    expect(again.status).toBe(400);
    expect(again.json().code).toBe('MCP_OAUTH_STATE_INVALID');
    for (const query of ['state=nope&code=x', `state=${back.searchParams.get('state')}x&code=x`]) {
      const bad = await call('GET', `/v1/mcp-servers/oauth/callback?${query}`);
      expect(bad.status).toBe(400);
      expect(bad.json().code).toBe('MCP_OAUTH_STATE_INVALID');
    }
    const missing = await call('GET', '/v1/mcp-servers/oauth/callback?code=x');
    expect(missing.status).toBe(422);
    const denied = await call('GET', '/v1/mcp-servers/oauth/callback?state=s&error=access_denied');
    expect(denied.status).toBe(400);
    expect(denied.json().code).toBe('MCP_OAUTH_DENIED');
  });

  it('per-user grants: an end user authorizes only their own; an admin may name the user', async () => {
    const alice = await userJwt('acme', 'alice');
    const own = await call('POST', '/v1/mcp-servers/mail/oauth/authorize', alice, {});
    expect(own.status, own.body).toBe(200);
    expect((await signIn(own.json().authorization_url, 'alice@mail')).json()).toEqual({
      status: 'authorized',
      server_id: 'mail',
      user_id: 'alice',
    });
    const other = await call('POST', '/v1/mcp-servers/mail/oauth/authorize', alice, { user_id: 'bob' });
    expect(other.status).toBe(422);
    expect((await call('GET', '/v1/mcp-servers/mail/oauth', alice)).json().authorized).toBe(true);
    expect((await call('GET', '/v1/mcp-servers/mail/oauth?user_id=bob', keys.acme)).json().authorized).toBe(false);
    // A chat-only end user may not replace, nor drop, the tenant-wide grant every user's turns share.
    const mallory = await userJwt('acme', 'mallory');
    for (const [method, url] of [
      ['POST', '/v1/mcp-servers/crm/oauth/authorize'],
      ['DELETE', '/v1/mcp-servers/crm/oauth'],
    ] as const) {
      const refused = await call(method, url, mallory, method === 'POST' ? {} : undefined);
      expect(refused.status).toBe(403);
      expect(refused.json().code).toBe('INSUFFICIENT_SCOPE');
    }
    // A per-user server needs a user.
    const noUser = await call('POST', '/v1/mcp-servers/mail/oauth/authorize', keys.acme);
    expect(noUser.status).toBe(400);
    expect(noUser.json().code).toBe('USER_ID_REQUIRED');
    const forBob = await call('POST', '/v1/mcp-servers/mail/oauth/authorize', keys.acme, { user_id: 'bob' });
    expect((await signIn(forBob.json().authorization_url, 'bob@mail')).json().user_id).toBe('bob');
    expect((await call('DELETE', '/v1/mcp-servers/mail/oauth?user_id=bob', keys.acme)).status).toBe(204);
    expect((await call('GET', '/v1/mcp-servers/mail/oauth?user_id=bob', keys.acme)).json().authorized).toBe(false);
    expect((await call('GET', '/v1/mcp-servers/mail/oauth', alice)).json().authorized).toBe(true);
  });

  it('discovery, registration and token requests go through the SSRF guard: a server outside the allowlist is refused', async () => {
    // The same record on another app whose allowlist does not open the fixture's port.
    const guarded = await createTestApp({
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: ADMIN,
      ENCLAVE_MASTER_KEY: MASTER_KEY,
      ENCLAVE_PUBLIC_URL: PUBLIC_URL,
    });
    try {
      await guarded.app.inject({
        method: 'POST',
        url: '/v1/admin/tenants',
        headers: { authorization: `Bearer ${ADMIN}` },
        payload: { id: 'acme' },
      });
      const key = (
        await guarded.app.inject({
          method: 'POST',
          url: '/v1/admin/tenants/acme/keys',
          headers: { authorization: `Bearer ${ADMIN}` },
          payload: { name: 'k' },
        })
      ).json().key;
      const guardedRecords = await createStorage({ ...guarded.config, migrate: false });
      const at = new Date().toISOString();
      await guardedRecords.mcpServers.create('acme', {
        id: 'crm',
        name: 'crm',
        url: fixture.mcpUrl,
        transport: 'streamable-http',
        auth: oauthCode,
        tools: null,
        callTimeoutMs: null,
        perUserCredentials: false,
        createdAt: at,
        updatedAt: at,
      });
      const before = fixture.registrations;
      const refused = await guarded.app.inject({
        method: 'POST',
        url: '/v1/mcp-servers/crm/oauth/authorize',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().code).toBe('OUTBOUND_BLOCKED');
      expect(fixture.registrations).toBe(before);
      await guardedRecords.storage.close();
    } finally {
      await guarded.dispose();
    }
  });

  it('a foreign or missing server answers MCP_SERVER_NOT_FOUND; a non-OAuth one MCP_OAUTH_NOT_APPLICABLE', async () => {
    await putServer('globex', 'secret-crm', oauthCode);
    const foreign = await call('POST', '/v1/mcp-servers/secret-crm/oauth/authorize', keys.acme);
    const missing = await call('POST', '/v1/mcp-servers/nothing/oauth/authorize', keys.acme);
    expect(foreign.status).toBe(404);
    expect(foreign.json().code).toBe('MCP_SERVER_NOT_FOUND');
    expect({ ...foreign.json(), request_id: null, detail: null }).toEqual({
      ...missing.json(),
      request_id: null,
      detail: null,
    });
    const plain = await call('POST', '/v1/mcp-servers/plain/oauth/authorize', keys.acme);
    expect(plain.status).toBe(409);
    expect(plain.json().code).toBe('MCP_OAUTH_NOT_APPLICABLE');
    expect((await call('POST', '/v1/mcp-servers/crm/oauth/authorize')).status).toBe(401);
    // The admin path acts for the named tenant.
    const viaAdmin = await call('GET', '/v1/admin/tenants/acme/mcp-servers/crm/oauth', ADMIN);
    expect(viaAdmin.json().authorized).toBe(true);
  });
});
