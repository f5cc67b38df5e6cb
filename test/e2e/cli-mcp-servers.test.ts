import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../src/storage/create-storage.ts';
import { type OAuthMcpFixture, startOAuthMcpFixture } from '../helpers/oauth-mcp-fixture.ts';
import { cliAgainst } from '../helpers/run-cli.ts';
import { createTestApp } from '../helpers/test-app.ts';

let dir: string;
let databaseUrl: string;

const { enclave, enclaveJson } = cliAgainst(() => databaseUrl);

describe('enclave mcp-servers', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enclave-cli-mcp-'));
    databaseUrl = `sqlite:${join(dir, 'cli.db')}`;
    expect((await enclave('tenants', 'create', 'acme')).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers, lists, changes and deletes a server', async () => {
    const server = {
      name: 'github',
      url: 'https://mcp.example.com/mcp',
      auth: { type: 'headers', headers: { Authorization: 'Bearer {{secret:github.token}}' } },
    };
    const created = await enclaveJson('mcp-servers', 'create', '--tenant', 'acme', '--config', JSON.stringify(server));
    expect(created).toMatchObject({ object: 'mcp_server', ...server, transport: 'streamable-http' });
    const listed = await enclaveJson('mcp-servers', 'list', '--tenant', 'acme');
    expect(listed.data.map((item: { id: string }) => item.id)).toEqual([created.id]);
    const updated = await enclaveJson(
      'mcp-servers',
      'update',
      created.id,
      '--tenant',
      'acme',
      '--config',
      '{"call_timeout_ms":5000}',
    );
    expect(updated).toMatchObject({ id: created.id, call_timeout_ms: 5000, name: 'github' });

    const bad = await enclave('mcp-servers', 'create', '--tenant', 'acme', '--config', '{"name":"Bad Name","url":"x"}');
    expect(bad.code).not.toBe(0);
    const refused = await enclave('mcp-servers', 'delete', created.id, '--tenant', 'acme');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--yes');
    expect(await enclaveJson('mcp-servers', 'delete', created.id, '--tenant', 'acme', '--yes')).toEqual({
      id: created.id,
      deleted: true,
    });
    const missing = await enclave('mcp-servers', 'show', created.id, '--tenant', 'acme');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('MCP server not found');
  });
});

const PUBLIC_URL = 'https://enclave.example.test';
const CALLBACK = `${PUBLIC_URL}/v1/mcp-servers/oauth/callback`;
const OAUTH_ENV = {
  ENCLAVE_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
  ENCLAVE_PUBLIC_URL: PUBLIC_URL,
  // The loopback authorization server is reached through the SSRF guard, allowed explicitly.
  ENCLAVE_OUTBOUND_ALLOW: '127.0.0.1',
};

/**
 * The OAuth actions, against a real loopback OAuth 2.1 authorization server and MCP server: the
 * CLI starts the grant, a browser (played here) signs in and comes back to the running server's
 * callback on the same database, and the CLI then sees and deletes the grant.
 */
describe('enclave mcp-servers oauth-*', () => {
  let oauthDir: string;
  let oauthDb: string;
  let fixture: OAuthMcpFixture;
  const servers: Record<string, string> = {};
  const { enclave: cli, enclaveJson: cliJson } = cliAgainst(() => oauthDb, OAUTH_ENV);

  const register = async (tenant: string, body: object) =>
    (await cliJson('mcp-servers', 'create', '--tenant', tenant, '--config', JSON.stringify(body))).id as string;
  /** acme's OAuth audit entries, oldest first, read straight from the database. */
  const auditActions = async () => {
    const { storage } = await createStorage({ databaseUrl: oauthDb, sqliteSynchronous: 'NORMAL', migrate: false });
    try {
      const entries = await storage.listAudit('acme', { limit: 1000, beforeId: null });
      return entries.reverse().filter((entry) => entry.action.startsWith('mcp_server.oauth.'));
    } finally {
      await storage.close();
    }
  };

  beforeAll(async () => {
    fixture = await startOAuthMcpFixture();
    oauthDir = mkdtempSync(join(tmpdir(), 'enclave-cli-mcp-oauth-'));
    oauthDb = `sqlite:${join(oauthDir, 'cli.db')}`;
    for (const tenant of ['acme', 'globex']) expect((await cli('tenants', 'create', tenant)).code).toBe(0);
    const oauth = { type: 'oauth', grant: 'authorization_code' };
    servers.crm = await register('acme', { name: 'crm', url: fixture.mcpUrl, auth: oauth });
    servers.mail = await register('acme', {
      name: 'mail',
      url: fixture.mcpUrl,
      auth: oauth,
      per_user_credentials: true,
    });
    servers.plain = await register('acme', { name: 'plain', url: fixture.mcpUrl });
    servers.foreign = await register('globex', { name: 'crm', url: fixture.mcpUrl, auth: oauth });
  });
  afterAll(async () => {
    await fixture?.close();
    rmSync(oauthDir, { recursive: true, force: true });
  });

  it('oauth-authorize prints the authorization URL with PKCE, the server callback completes it', async () => {
    expect(await cliJson('mcp-servers', 'oauth-status', servers.crm ?? '', '--tenant', 'acme')).toEqual({
      authorized: false,
      expires_at: null,
    });

    const human = await cli('mcp-servers', 'oauth-authorize', servers.crm ?? '', '--tenant', 'acme');
    expect(human.code, human.stderr).toBe(0);
    const printed = human.stdout.split('\n').find((line) => line.startsWith(`${fixture.issuer}/authorize?`));
    expect(printed, human.stdout).toBeDefined();

    const started = await cliJson('mcp-servers', 'oauth-authorize', servers.crm ?? '', '--tenant', 'acme');
    expect(Date.parse(started.expires_at)).toBeGreaterThan(Date.now());
    const url = new URL(started.authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${fixture.issuer}/authorize`);
    expect(url.searchParams.get('redirect_uri')).toBe(CALLBACK);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // 256 random bits (43 base64url characters) after the tenant it is bound to.
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('client_id')).toBeTruthy();
    // Not authorized until the browser comes back.
    expect((await cliJson('mcp-servers', 'oauth-status', servers.crm ?? '', '--tenant', 'acme')).authorized).toBe(
      false,
    );
    const notYet = await cli('mcp-servers', 'oauth-status', servers.crm ?? '', '--tenant', 'acme');
    expect(notYet.stdout).toContain('not authorized');

    // The browser signs in and is sent to the running server's callback, which redeems the state
    // the CLI stored in the shared database.
    const app = await createTestApp({ DATABASE_URL: oauthDb, ...OAUTH_ENV }, { dir: oauthDir });
    try {
      url.searchParams.set('test_user', 'acme-admin');
      const redirect = await fetch(url, { redirect: 'manual' });
      const back = new URL(redirect.headers.get('location') ?? '');
      expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
      const done = await app.app.inject({ method: 'GET', url: `${back.pathname}${back.search}` });
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json()).toEqual({ status: 'authorized', server_id: servers.crm, user_id: null });
    } finally {
      await app.dispose();
    }

    const status = await cliJson('mcp-servers', 'oauth-status', servers.crm ?? '', '--tenant', 'acme');
    expect(status.authorized).toBe(true);
    expect(typeof status.expires_at).toBe('string');
    // globex's server has no grant, and acme's grant is not globex's to see.
    expect((await cliJson('mcp-servers', 'oauth-status', servers.foreign ?? '', '--tenant', 'globex')).authorized).toBe(
      false,
    );

    // Revoke deletes it, and is idempotent.
    for (let round = 0; round < 2; round++) {
      expect(await cliJson('mcp-servers', 'oauth-revoke', servers.crm ?? '', '--tenant', 'acme')).toEqual({
        id: servers.crm,
        user_id: null,
        revoked: true,
      });
    }
    expect(await cliJson('mcp-servers', 'oauth-status', servers.crm ?? '', '--tenant', 'acme')).toEqual({
      authorized: false,
      expires_at: null,
    });

    const audit = await auditActions();
    expect(audit.filter((row) => row.actor === 'cli').map((row) => row.action)).toEqual([
      'mcp_server.oauth.authorize',
      'mcp_server.oauth.authorize',
      'mcp_server.oauth.revoke',
      'mcp_server.oauth.revoke',
    ]);
    expect(audit.every((row) => row.target === `mcp_server:${servers.crm}`)).toBe(true);
  });

  it('a per-user server needs --user, and each user has their own grant', async () => {
    const missingUser = await cli('mcp-servers', 'oauth-authorize', servers.mail ?? '', '--tenant', 'acme');
    expect(missingUser.code).toBe(1);
    expect(missingUser.stderr).toContain("uses each end user's own credential");

    const started = await cliJson(
      'mcp-servers',
      'oauth-authorize',
      servers.mail ?? '',
      '--tenant',
      'acme',
      '--user',
      'alice',
    );
    expect(new URL(started.authorization_url).searchParams.get('redirect_uri')).toBe(CALLBACK);
    const status = await cli('mcp-servers', 'oauth-status', servers.mail ?? '', '--tenant', 'acme', '--user', 'bob');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('(user bob): not authorized');
    expect(
      await cliJson('mcp-servers', 'oauth-revoke', servers.mail ?? '', '--tenant', 'acme', '--user', 'alice'),
    ).toEqual({ id: servers.mail, user_id: 'alice', revoked: true });
    const audit = await auditActions();
    expect(audit.filter((row) => row.target === `mcp_server:${servers.mail}`).map((row) => row.details)).toEqual([
      { user_id: 'alice' },
      { user_id: 'alice' },
    ]);

    const badUser = await cli('mcp-servers', 'oauth-status', servers.mail ?? '', '--tenant', 'acme', '--user', 'a b');
    expect(badUser.code).toBe(2);
    expect(badUser.stderr).toContain('--user needs a valid user id');
  });

  it("refuses a foreign tenant's server, a server without OAuth, and a blocked outbound address", async () => {
    for (const action of ['oauth-authorize', 'oauth-status', 'oauth-revoke']) {
      const foreign = await cli('mcp-servers', action, servers.foreign ?? '', '--tenant', 'acme');
      expect(foreign.code, action).toBe(1);
      expect(foreign.stderr, action).toContain('MCP server not found');
      const plain = await cli('mcp-servers', action, servers.plain ?? '', '--tenant', 'acme');
      expect(plain.code, action).toBe(1);
      expect(plain.stderr, action).toContain('does not use OAuth');
    }
    const noId = await cli('mcp-servers', 'oauth-status', '--tenant', 'acme');
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('needs a server id');

    // Without the loopback allowance the SSRF guard refuses the discovery request.
    const { enclave: guarded } = cliAgainst(() => oauthDb, { ...OAUTH_ENV, ENCLAVE_OUTBOUND_ALLOW: '' });
    const blocked = await guarded('mcp-servers', 'oauth-authorize', servers.crm ?? '', '--tenant', 'acme');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('refused: a loopback address');
    expect(blocked.stderr).toContain('ENCLAVE_OUTBOUND_ALLOW');
  });
});
