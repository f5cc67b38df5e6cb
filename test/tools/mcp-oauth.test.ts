import { randomBytes } from 'node:crypto';
import { Client, InsufficientScopeError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.ts';
import { createSecretService } from '../../src/core/secrets/secret-service.ts';
import { createStorage, type OpenedStorage } from '../../src/storage/create-storage.ts';
import { createMcpOAuth, type McpOAuth } from '../../src/tools/mcp/oauth/mcp-oauth.ts';
import type { McpOAuthServer } from '../../src/tools/mcp/oauth/mcp-oauth-server.ts';
import { type OAuthMcpFixture, startOAuthMcpFixture } from '../helpers/oauth-mcp-fixture.ts';
import { type OpenedDatabase, storageDialects } from '../helpers/storage-dialects.ts';

const REDIRECT = 'http://127.0.0.1:9/v1/mcp-servers/oauth/callback';

/** Plays the admin's browser: opens the authorization URL as `user` and follows the redirect back. */
async function approve(authorizationUrl: string, user: string) {
  const url = new URL(authorizationUrl);
  url.searchParams.set('test_user', user);
  const response = await fetch(url, { redirect: 'manual' });
  const back = new URL(response.headers.get('location') ?? '');
  return { code: back.searchParams.get('code') ?? '', state: back.searchParams.get('state') ?? '' };
}

async function whoami(oauth: McpOAuth, server: McpOAuthServer, caller: { tenantId: string; userId?: string }) {
  const client = new Client({ name: 'enclave-test', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    authProvider: oauth.authProvider(server, caller),
  });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    return (result.content as { type: string; text: string }[])[0]?.text;
  } finally {
    await client.close();
  }
}

for (const dialect of storageDialects('mcp-oauth')) {
  describe(`MCP OAuth grants (${dialect.name})`, () => {
    let database: OpenedDatabase | null;
    let opened: OpenedStorage;
    let fixture: OAuthMcpFixture;
    let secrets: ReturnType<typeof createSecretService>;
    const replicas: McpOAuth[] = [];
    const servers = new Map<string, McpOAuthServer>();
    const newReplica = () => {
      const replica = createMcpOAuth({ store: opened.mcpOAuth, secrets, fetch, redirectUrl: REDIRECT, pollMs: 10 });
      replicas.push(replica);
      return replica;
    };
    const find = async (tenantId: string, id: string) => (tenantId.startsWith('t-') ? (servers.get(id) ?? null) : null);

    beforeAll(async () => {
      database = await dialect.open();
      if (!database) return;
      opened = await createStorage({ ...database, migrate: true, sqliteSynchronous: 'NORMAL' });
      secrets = createSecretService({ storage: opened.storage, masterKey: randomBytes(32) });
      fixture = await startOAuthMcpFixture();
      const at = new Date().toISOString();
      for (const tenantId of ['t-a', 't-b']) {
        await opened.admin.createTenant({ id: tenantId, name: tenantId });
        // The server records the grants belong to (grants cascade with their server).
        for (const id of ['cc', 'crm', 'crm2', 'mail', 'rot', 'exp', 'dead', 'narrow', 'gone']) {
          await opened.mcpServers.create(tenantId, {
            id,
            name: id,
            url: fixture.mcpUrl,
            transport: 'streamable-http',
            auth: { type: 'oauth', grant: 'authorization_code', clientId: null, clientSecretName: null, scope: null },
            tools: null,
            callTimeoutMs: null,
            perUserCredentials: id === 'mail',
            createdAt: at,
            updatedAt: at,
          });
        }
      }
    });
    afterAll(async () => {
      await fixture?.close();
      await database?.cleanup();
    });
    afterEach(() => {
      replicas.length = 0;
    });

    const authCodeServer = (id: string, perUser: boolean): McpOAuthServer => {
      const server: McpOAuthServer = { id, url: fixture.mcpUrl, perUser, oauth: { grant: 'authorization_code' } };
      servers.set(id, server);
      return server;
    };

    it('client credentials: fetches a token with the tenant secret, stores it sealed, and calls the server with it', async (ctx) => {
      if (!database) return ctx.skip();
      fixture.addClient('cc-a', 'secret-a', 'service-a');
      fixture.addClient('cc-b', 'secret-b', 'service-b');
      await secrets.put('t-a', 'mcp.cc.secret', 'secret-a');
      await secrets.put('t-b', 'mcp.cc.secret', 'secret-b');
      const oauth = newReplica();
      const server = (clientId: string): McpOAuthServer => ({
        id: 'cc',
        url: fixture.mcpUrl,
        perUser: false,
        oauth: { grant: 'client_credentials', clientId, clientSecretName: 'mcp.cc.secret' },
      });
      expect(await whoami(oauth, server('cc-a'), { tenantId: 't-a' })).toBe('service-a');
      expect(await whoami(oauth, server('cc-b'), { tenantId: 't-b' })).toBe('service-b');
      // The stored row holds ciphertext only.
      const row = await opened.mcpOAuth.getGrant({ tenantId: 't-a', serverId: 'cc', userKey: '' });
      expect(row?.tokens).toMatch(/^v1\./);
      expect(row?.tokens).not.toContain('access_token');
      expect(await oauth.status(server('cc-a'), { tenantId: 't-a' })).toMatchObject({ authorized: true });
    });

    it('authorization code with PKCE: the admin authorizes once, the state is single-use, turns then use the grant', async (ctx) => {
      if (!database) return ctx.skip();
      const oauth = newReplica();
      const server = authCodeServer('crm', false);
      await expect(whoami(oauth, server, { tenantId: 't-a' })).rejects.toMatchObject({
        code: 'MCP_OAUTH_AUTHORIZATION_REQUIRED',
        details: { authorize: 'POST /v1/mcp-servers/crm/oauth/authorize' },
      });
      const { authorizationUrl } = await oauth.startAuthorization(server, { tenantId: 't-a' });
      const url = new URL(authorizationUrl);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
      const { code, state } = await approve(authorizationUrl, 'admin-a');
      expect(await oauth.completeAuthorization({ code, state }, find)).toEqual({
        tenantId: 't-a',
        serverId: 'crm',
        userId: null,
      });
      await expect(oauth.completeAuthorization({ code, state }, find)).rejects.toMatchObject({
        code: 'MCP_OAUTH_STATE_INVALID',
      });
      expect(await whoami(oauth, server, { tenantId: 't-a' })).toBe('admin-a');
      // Tenant b has no grant for its own server of the same id.
      await expect(whoami(oauth, server, { tenantId: 't-b' })).rejects.toMatchObject({
        code: 'MCP_OAUTH_AUTHORIZATION_REQUIRED',
      });
    });

    it('a state cannot be redeemed under another tenant, nor forged', async (ctx) => {
      if (!database) return ctx.skip();
      const oauth = newReplica();
      const server = authCodeServer('crm2', false);
      const { authorizationUrl } = await oauth.startAuthorization(server, { tenantId: 't-a' });
      const { code, state } = await approve(authorizationUrl, 'admin-a');
      const secretPart = state.split('.')[1];
      const forged = `${Buffer.from('t-b').toString('base64url')}.${secretPart}`;
      for (const bad of [
        forged,
        'x',
        `${state}.x`,
        `${state.split('.')[0]}.${randomBytes(32).toString('base64url')}`,
      ]) {
        await expect(oauth.completeAuthorization({ code, state: bad }, find)).rejects.toMatchObject({
          code: 'MCP_OAUTH_STATE_INVALID',
        });
      }
      expect(await oauth.status(server, { tenantId: 't-b' })).toEqual({ authorized: false, expiresAt: null });
    });

    it('per-user grants: each user calls with their own token, and a user without a grant is refused', async (ctx) => {
      if (!database) return ctx.skip();
      const oauth = newReplica();
      const server = authCodeServer('mail', true);
      for (const [tenantId, userId] of [
        ['t-a', 'u1'],
        ['t-a', 'u2'],
        ['t-b', 'u1'],
      ] as const) {
        const { authorizationUrl } = await oauth.startAuthorization(server, { tenantId, userId });
        await oauth.completeAuthorization(await approve(authorizationUrl, `${tenantId}/${userId}`), find);
      }
      expect(await whoami(oauth, server, { tenantId: 't-a', userId: 'u1' })).toBe('t-a/u1');
      expect(await whoami(oauth, server, { tenantId: 't-a', userId: 'u2' })).toBe('t-a/u2');
      expect(await whoami(oauth, server, { tenantId: 't-b', userId: 'u1' })).toBe('t-b/u1');
      await expect(whoami(oauth, server, { tenantId: 't-b', userId: 'u2' })).rejects.toMatchObject({
        code: 'MCP_OAUTH_AUTHORIZATION_REQUIRED',
      });
      expect(() => oauth.authProvider(server, { tenantId: 't-a' })).toThrow(AppError);
    });

    it('N concurrent turns with an expired token share one refresh, across two replicas, and the rotation is kept', async (ctx) => {
      if (!database) return ctx.skip();
      const [one, two] = [newReplica(), newReplica()];
      const server = authCodeServer('rot', false);
      const { authorizationUrl } = await one.startAuthorization(server, { tenantId: 't-a' });
      await one.completeAuthorization(await approve(authorizationUrl, 'rotating'), find);
      expect(await whoami(one, server, { tenantId: 't-a' })).toBe('rotating');

      for (let round = 0; round < 3; round++) {
        fixture.expireAccessTokens();
        const before = fixture.tokenRequests.refresh_token;
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => whoami(i % 2 ? one : two, server, { tenantId: 't-a' })),
        );
        expect(results).toEqual(Array(8).fill('rotating'));
        // Every caller saw a 401, yet the grant was refreshed exactly once, and the new refresh token
        // was stored: the next round's refresh presents it, not the used one.
        expect(fixture.tokenRequests.refresh_token - before).toBe(1);
      }
      expect(fixture.revokedFamilies).toBe(0);
    });

    it('a token stored as expired is refreshed before use, once for concurrent callers', async (ctx) => {
      if (!database) return ctx.skip();
      let clock = Date.now();
      const oauth = createMcpOAuth({ store: opened.mcpOAuth, secrets, fetch, redirectUrl: REDIRECT, now: () => clock });
      const server = authCodeServer('exp', false);
      const { authorizationUrl } = await oauth.startAuthorization(server, { tenantId: 't-a' });
      await oauth.completeAuthorization(await approve(authorizationUrl, 'clock'), find);
      clock += 2 * 3600 * 1000;
      const before = fixture.tokenRequests.refresh_token;
      const providers = Array.from({ length: 6 }, () => oauth.authProvider(server, { tenantId: 't-a' }));
      const tokens = await Promise.all(providers.map((provider) => provider.token()));
      expect(new Set(tokens).size).toBe(1);
      expect(fixture.tokenRequests.refresh_token - before).toBe(1);
    });

    it('a refused refresh token deletes the grant and asks for a new authorization', async (ctx) => {
      if (!database) return ctx.skip();
      const oauth = newReplica();
      const server = authCodeServer('dead', false);
      const { authorizationUrl } = await oauth.startAuthorization(server, { tenantId: 't-a' });
      await oauth.completeAuthorization(await approve(authorizationUrl, 'dead'), find);
      // Another party burns the refresh token family behind Enclave's back: refresh with a garbage copy.
      const key = { tenantId: 't-a', serverId: 'dead', userKey: '' };
      const row = await opened.mcpOAuth.getGrant(key);
      const tokens = JSON.parse((await secrets.open('t-a', 'mcp-oauth:dead::tokens', row?.tokens ?? '')) ?? '{}');
      for (let i = 0; i < 2; i++) {
        await fetch(`${fixture.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: tokens.refresh_token,
            client_id: JSON.parse((await secrets.open('t-a', 'mcp-oauth:dead::client', row?.clientInfo ?? '')) ?? '{}')
              .client_id,
          }),
        });
      }
      fixture.expireAccessTokens();
      await expect(whoami(oauth, server, { tenantId: 't-a' })).rejects.toMatchObject({
        code: 'MCP_OAUTH_AUTHORIZATION_REQUIRED',
      });
      expect(await oauth.status(server, { tenantId: 't-a' })).toMatchObject({ authorized: false });
    });

    it('step-up: a 403 insufficient_scope fails the turn, and the next authorization asks for the wider scope', async (ctx) => {
      if (!database) return ctx.skip();
      const oauth = newReplica();
      const server = authCodeServer('narrow', false);
      const caller = { tenantId: 't-a' };
      const first = await oauth.startAuthorization(server, caller);
      expect(new URL(first.authorizationUrl).searchParams.get('scope')).toBe('tools');
      await oauth.completeAuthorization(await approve(first.authorizationUrl, 'narrow'), find);
      const mapped = await oauth.failure(server, caller, new InsufficientScopeError({ requiredScope: 'tools admin' }));
      expect(mapped).toMatchObject({
        code: 'MCP_OAUTH_AUTHORIZATION_REQUIRED',
        details: { server_id: 'narrow', scope: 'tools admin' },
      });
      expect(await oauth.failure(server, caller, new Error('connection reset'))).toBeNull();
      const again = await oauth.startAuthorization(server, caller);
      expect(new URL(again.authorizationUrl).searchParams.get('scope')).toBe('tools admin');
      // The new grant clears the demand.
      await oauth.completeAuthorization(await approve(again.authorizationUrl, 'narrow'), find);
      expect(
        (await opened.mcpOAuth.getGrant({ tenantId: 't-a', serverId: 'narrow', userKey: '' }))?.stepUpScope,
      ).toBeNull();
    });

    it('deleting a server deletes its grants; a refresh in flight never recreates one', async (ctx) => {
      if (!database) return ctx.skip();
      const oauth = newReplica();
      const server = authCodeServer('gone', false);
      const { authorizationUrl } = await oauth.startAuthorization(server, { tenantId: 't-a' });
      await oauth.completeAuthorization(await approve(authorizationUrl, 'gone'), find);
      // Deleting the server record deletes its grants (foreign key); a refresh in flight cannot bring one back.
      expect(await opened.mcpServers.delete('t-a', 'gone')).toBe(true);
      expect(await oauth.forgetServer('t-a', 'gone')).toBe(0);
      const saved = await opened.mcpOAuth.saveGrant(
        { tenantId: 't-a', serverId: 'gone', userKey: '' },
        { tokens: 'x', clientInfo: null, discovery: null, expiresAt: null },
        1,
      );
      expect(saved).toBeNull();
      expect(await oauth.status(server, { tenantId: 't-a' })).toMatchObject({ authorized: false });
    });
  });
}
