import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpEverything, startMcpEverything } from '../fakes/start-mcp-everything.ts';
import { type OAuthMcpFixture, startOAuthMcpFixture } from '../helpers/oauth-mcp-fixture.ts';
import {
  type ConsoleServer,
  ensureConsoleBuilt,
  launchChromium,
  signIn,
  startConsoleServer,
  watchCsp,
} from './console-harness.ts';

/**
 * The web console in real Chromium against a real Enclave on a loopback port: a tenant's flow, an
 * operator's flow, isolation by URL, CSP, cookie flags, accessibility (axe) and screenshots.
 */

const SCREENSHOTS = resolve(import.meta.dirname, '../../docs/screenshots');

let server: ConsoleServer;
let browser: Browser;
let acmeKey: string;
let otherSessionId: string;
let everything: McpEverything;
let oauthServer: OAuthMcpFixture;
/** Where the authorization server sends the browser back; routed to this Enclave by the test. */
const PUBLIC_URL = 'https://enclave.example.test';
let mcpServerId = '';

async function createTenantWithKey(id: string): Promise<string> {
  expect((await server.admin('POST', '/v1/admin/tenants', { id })).status).toBe(201);
  const key = await server.admin<{ key: string }>('POST', `/v1/admin/tenants/${id}/keys`, { name: `${id}-admin` });
  expect(key.status).toBe(201);
  return key.body.key;
}

async function newContext(): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(10_000);
  const csp = await watchCsp(context);
  const page = await context.newPage();
  return { context, page, csp };
}

beforeAll(async () => {
  await ensureConsoleBuilt();
  [everything, oauthServer] = await Promise.all([startMcpEverything(), startOAuthMcpFixture()]);
  // The MCP servers listen on loopback: allowed through the outbound guard like an operator would.
  [server, browser] = await Promise.all([
    startConsoleServer({
      ENCLAVE_OUTBOUND_ALLOW: '127.0.0.1',
      ENCLAVE_PUBLIC_URL: PUBLIC_URL,
      ENCLAVE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    }),
    launchChromium(),
  ]);
  acmeKey = await createTenantWithKey('acme');
  // Another tenant with an agent and a session, which acme must not be able to open.
  const otherKey = await createTenantWithKey('other');
  await server.asKey(otherKey, 'POST', '/v1/agents', { id: 'secret-agent' });
  const session = await server.asKey(otherKey, 'POST', '/v1/sessions', { title: 'other tenant' });
  otherSessionId = ((await session.json()) as { id: string }).id;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await everything?.close();
  await oauthServer?.close();
});

describe('the console in Chromium', () => {
  it('tenant flow: agent, streamed chat with a tool call resumed after a reload, sessions, versions, keys, usage', async () => {
    const { context, page, csp } = await newContext();
    await signIn(page, server.baseUrl, acmeKey);
    await page.getByRole('heading', { name: 'Playground' }).waitFor();

    // The cookie carries the session: httpOnly and SameSite=Strict; the key is in no storage.
    const cookie = (await context.cookies()).find((item) => item.name === 'enclave_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage, ...sessionStorage })');
    expect(stored).not.toContain(acmeKey);

    // Create an agent with the calculator.
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByLabel('Id (optional)').fill('calc');
    await page.getByLabel('Name').fill('Calculator');
    await page.getByLabel('System prompt').fill('You are good at arithmetic.');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Agent Calculator' }).waitFor();

    // Chat in the playground: the tool call and its result show while the reply streams.
    await page.getByRole('link', { name: 'Try in playground' }).click();
    await page.getByRole('heading', { name: 'Playground' }).waitFor();
    await page.getByLabel('Message', { exact: true }).fill('calculate 6*7');
    await page.getByRole('button', { name: 'Send' }).click();
    const running = page.locator('.turn[data-status="running"]');
    await running.locator('.tool .result', { hasText: '42' }).waitFor();
    await expect(running.locator('.tool code').first().textContent()).resolves.toBe('calculator');
    await running.locator('.bubble.assistant').waitFor();

    // Reload mid-stream: the page resumes the turn's event stream and the reply finishes.
    await page.reload();
    const done = page.locator('.turn[data-status="completed"]');
    await done
      .locator('.bubble.assistant', { hasText: "Agent response to 'calculate 6*7'" })
      .waitFor({ timeout: 15_000 });
    await expect(done.locator('.bubble.assistant').textContent()).resolves.toContain('(calculator returned 42)');
    await expect(done.locator('.turn-meta').textContent()).resolves.toMatch(/tokens.*ms/);

    // Cancel a running turn: it ends as cancelled, with the API's code.
    const long = Array.from({ length: 30 }, (_, index) => `word${index}`).join(' ');
    await page.getByLabel('Message', { exact: true }).fill(long);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.turn[data-status="running"] .bubble.assistant').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.turn[data-status="cancelled"]', { hasText: 'TURN_CANCELLED' }).waitFor();

    // The session in Sessions, with its tool call.
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('link', { name: 'calculate 6*7' }).click();
    await page.getByRole('heading', { name: 'calculate 6*7' }).waitFor();
    await page.locator('.transcript .tool', { hasText: 'calculator' }).waitFor();
    await page.locator('.transcript .bubble.assistant', { hasText: 'calculator returned 42' }).waitFor();

    // Edit the agent (version 2), see the diff, restore version 1 (version 3).
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'Calculator' }).click();
    const configBox = page.getByLabel('Config (JSON, snake_case)');
    await configBox.waitFor();
    const config = JSON.parse(await configBox.inputValue()) as Record<string, unknown>;
    // A validation message from the API first: an unknown tool.
    await configBox.fill(JSON.stringify({ ...config, tools: ['no_such_tool'] }, null, 2));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'UNKNOWN_TOOL' }).waitFor();
    await configBox.fill(JSON.stringify({ ...config, system_prompt: 'You are terse.' }, null, 2));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved as version 2.').waitFor();
    await page.locator('.diff .del', { hasText: 'You are good at arithmetic.' }).waitFor();
    await page.locator('.diff .add', { hasText: 'You are terse.' }).waitFor();
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Version 1 restored as version 3.').waitFor();
    const agent = (await (await server.asKey(acmeKey, 'GET', '/v1/agents/calc')).json()) as {
      version: number;
      config: { system_prompt: string };
    };
    expect(agent).toMatchObject({ version: 3, config: { system_prompt: 'You are good at arithmetic.' } });

    // Create a key (shown once), then revoke it; the API refuses it afterwards.
    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByLabel('Name').fill('ci-key');
    await page.getByLabel('history:read').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const newKey = (await page.getByTestId('new-key').textContent()) ?? '';
    expect(newKey).toMatch(/^enc_/);
    expect((await server.asKey(newKey, 'GET', '/v1/sessions')).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke ci-key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.locator('tr[data-key="ci-key"]', { hasText: 'revoked' }).waitFor();
    expect((await server.asKey(newKey, 'GET', '/v1/sessions')).status).toBe(401);

    // Usage counts the turn for the agent, and draws the chart.
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.locator('tr[data-group="calc"] td[data-metric="turns"]', { hasText: /^1$/ }).waitFor();
    await page.locator('.chart canvas').waitFor();
    // Per key by month: the server's grouping, shown as it answers.
    await page.getByLabel('Per', { exact: true }).selectOption('key');
    await page.getByLabel('View', { exact: true }).selectOption('month');
    const byKey = (await (await server.asKey(acmeKey, 'GET', '/v1/usage?group_by=key')).json()) as {
      data: { key_id: string; turns: number }[];
    };
    expect(byKey.data.length).toBeGreaterThan(0);
    for (const row of byKey.data)
      await page
        .locator(`tr[data-group="${row.key_id}"] td[data-metric="turns"]`, { hasText: new RegExp(`^${row.turns}$`) })
        .waitFor();

    expect(csp).toEqual([]);
    await context.close();
  }, 90_000);

  it('MCP servers: validation from the API, create, live tools, edit, end-user credentials, delete, OAuth connect; the OpenAI API page lists the models', async () => {
    const { context, page, csp } = await newContext();
    await signIn(page, server.baseUrl, acmeKey);
    await page.getByRole('link', { name: 'MCP servers' }).click();
    await page.getByText('No MCP servers yet.').waitFor();

    // The API's validation message first: a name with an underscore.
    await page.getByRole('button', { name: 'Add a server' }).click();
    await page.getByLabel('Name').fill('bad_name');
    await page.getByLabel('URL').fill(everything.url);
    await page.getByRole('button', { name: 'Create server' }).click();
    await page.getByRole('alert').filter({ hasText: 'VALIDATION_FAILED' }).waitFor();

    await page.getByLabel('Name').fill('everything');
    await page.getByLabel('Tool allowlist (optional)').fill('echo, get-sum');
    await page.getByRole('button', { name: 'Create server' }).click();
    await page.getByRole('heading', { name: 'MCP server everything' }).waitFor();
    mcpServerId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    expect(mcpServerId).toMatch(/^mcp_/);
    // Its live tools, narrowed by the allowlist, with their input schemas.
    await page.locator('li[data-tool="echo"]', { hasText: 'everything__echo' }).waitFor();
    await page.locator('li[data-tool="get-sum"]').getByText('Input schema').click();
    await page.locator('li[data-tool="get-sum"] pre', { hasText: '"a"' }).waitFor();
    await expect(page.locator('li[data-tool]').count()).resolves.toBe(2);

    // Edit: the whole tool list; then it is in the list page.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Tool allowlist (optional)').fill('');
    await page.getByLabel('Call timeout, ms (optional)').fill('5000');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('5000 ms').waitFor();
    await expect.poll(() => page.locator('li[data-tool]').count()).toBeGreaterThan(2);
    await page.getByRole('link', { name: 'MCP servers' }).click();
    await page.locator('tr[data-server="everything"]', { hasText: 'all' }).waitFor();

    // A second server, per end user: without an end user its tools are refused with the API's code;
    // an end user's credential is set and checked (never shown); then the server is deleted after confirming.
    await page.getByRole('button', { name: 'Add a server' }).click();
    await page.getByLabel('Name').fill('doomed');
    await page.getByLabel('URL').fill(everything.url);
    await page.getByLabel('Headers from secrets').check();
    await page.getByLabel('Headers (one per line)').fill('X-Team: platform\nAuthorization: Bearer {{user_credential}}');
    await page.getByLabel('Each end user brings their own credential').check();
    await page.getByRole('button', { name: 'Create server' }).click();
    await page.getByRole('heading', { name: 'MCP server doomed' }).waitFor();
    await page.getByText('X-Team: platform').waitFor();
    await page.getByRole('alert').filter({ hasText: 'MCP_USER_CREDENTIAL_MISSING' }).waitFor();
    await page.getByLabel('End user').fill('u-42');
    await page.getByLabel('Credential', { exact: true }).fill('user-42-token');
    await page.getByRole('button', { name: 'Set credential' }).click();
    await page.getByText('Credential of u-42 set.').waitFor();
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByText('u-42 has a credential.').waitFor();
    await expect(page.content()).resolves.not.toContain('user-42-token');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'MCP servers' }).waitFor();
    await page.locator('tr[data-server="everything"]').waitFor();
    await expect(page.locator('tr[data-server="doomed"]').count()).resolves.toBe(0);
    const listed = (await (await server.asKey(acmeKey, 'GET', '/v1/mcp-servers')).json()) as {
      data: { name: string }[];
    };
    expect(listed.data.map((item) => item.name)).toEqual(['everything']);

    // OAuth: Connect opens the authorization URL in a new tab; the person signs in there and the
    // authorization server sends the browser to Enclave's callback (ENCLAVE_PUBLIC_URL, routed here).
    await page.getByRole('button', { name: 'Add a server' }).click();
    await page.getByLabel('Name').fill('crm');
    await page.getByLabel('URL').fill(oauthServer.mcpUrl);
    await page.getByLabel('OAuth', { exact: true }).check();
    await page.getByRole('button', { name: 'Create server' }).click();
    await page.getByRole('heading', { name: 'MCP server crm' }).waitFor();
    await page.getByTestId('oauth-status').filter({ hasText: 'Not connected.' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'MCP_OAUTH_AUTHORIZATION_REQUIRED' }).waitFor();
    await context.route(`${PUBLIC_URL}/**`, async (route) => {
      const url = new URL(route.request().url());
      const answer = await fetch(`${server.baseUrl}${url.pathname}${url.search}`);
      await route.fulfill({ status: answer.status, contentType: 'application/json', body: await answer.text() });
    });
    const [popup] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('button', { name: 'Connect', exact: true }).click(),
    ]);
    await popup.getByText('"status":"authorized"').waitFor();
    await popup.close();
    await page.reload();
    await page
      .getByTestId('oauth-status')
      .filter({ hasText: /^Connected/ })
      .waitFor();
    await page.locator('li[data-tool="whoami"]').waitFor();

    // The OpenAI-compatible API: the base URL, the agents as models, a snippet without a key.
    await page.getByRole('link', { name: 'OpenAI API' }).click();
    await page
      .getByTestId('base-url')
      .filter({ hasText: `${server.baseUrl}/v1` })
      .waitFor();
    await page.locator('tr[data-model="calc"]').waitFor();
    const snippet = (await page.getByTestId('snippet-curl-code').textContent()) ?? '';
    expect(snippet).toContain('Bearer $ENCLAVE_API_KEY');
    expect(snippet).toContain(`${server.baseUrl}/v1/chat/completions`);
    expect(snippet).not.toContain(acmeKey);

    expect(csp).toEqual([]);
    await context.close();
  }, 60_000);

  it('operator flow: create a tenant, suspend it (its key is refused), resume it', async () => {
    const { context, page, csp } = await newContext();
    await signIn(page, server.baseUrl, server.adminKey);
    await page.getByRole('heading', { name: 'Tenants', exact: true }).waitFor();
    await page.getByLabel('Id', { exact: true }).fill('beta');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('heading', { name: 'Tenant beta' }).waitFor();
    await page.getByRole('button', { name: 'Create a key for beta' }).click();
    const key = (await page.getByTestId('new-key').textContent()) ?? '';
    expect((await server.asKey(key, 'GET', '/v1/sessions')).status).toBe(200);

    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByTestId('tenant-status').filter({ hasText: 'suspended' }).waitFor();
    const refused = await server.asKey(key, 'GET', '/v1/sessions');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('TENANT_SUSPENDED');

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('tenant-status').filter({ hasText: 'active' }).waitFor();
    expect((await server.asKey(key, 'GET', '/v1/sessions')).status).toBe(200);

    // Limits with the API's validation, then saved.
    await page.getByLabel('Requests per minute').fill('120');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/Saved as config version \d+\./).waitFor();
    await page.getByRole('link', { name: 'Health' }).click();
    await page.getByTestId('readiness').filter({ hasText: 'ready' }).waitFor();

    expect(csp).toEqual([]);
    await context.close();
  }, 60_000);

  it("security: another tenant's session and agent by URL show not-found; CSRF refused; CSP header; sign-out ends the session", async () => {
    const { context, page } = await newContext();
    await signIn(page, server.baseUrl, acmeKey);
    await page.goto(`${server.baseUrl}/console/sessions/${otherSessionId}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await expect(page.getByText('other tenant').count()).resolves.toBe(0);
    await page.goto(`${server.baseUrl}/console/agents/secret-agent`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();

    // The console page itself is served with a CSP that allows no inline script.
    const response = await fetch(`${server.baseUrl}/console/`);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');

    // CSRF: the console's own cookie without the X-CSRF-Token is refused, and a cross-site page
    // cannot use the session (the SameSite=Strict cookie is not sent, and there is no token).
    const post = (origin: string) =>
      `fetch('${server.baseUrl}/v1/agents', { method: 'POST', credentials: 'include', ${origin}
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'csrf-agent' }) })
        .then((response) => response.status, () => 'blocked')`;
    expect(await page.evaluate<number | string>(post(''))).toBe(403);
    const evil = await context.newPage();
    await evil.goto(`${server.baseUrl.replace('127.0.0.1', 'localhost')}/healthz`);
    await evil.evaluate<number | string>(post("mode: 'no-cors',"));
    await evil.close();
    expect((await server.asKey(acmeKey, 'GET', '/v1/agents/csrf-agent')).status).toBe(404);

    // Sign-out ends the session: the cookie no longer opens the API.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key or admin key').waitFor();
    const again = await page.evaluate<number>("fetch('/v1/sessions').then((response) => response.status)");
    expect(again).toBe(401);
    await context.close();
  }, 60_000);

  const PAGES = {
    tenant: [
      ['playground', '/console/playground?agent=calc', 'Playground'],
      ['sessions', '/console/sessions', 'Sessions'],
      ['agents', '/console/agents', 'Agents'],
      ['agent', '/console/agents/calc', 'Agent Calculator'],
      ['keys', '/console/keys', 'API keys'],
      ['usage', '/console/usage', 'Usage'],
      ['secrets', '/console/secrets', 'Secrets'],
      ['mcp-servers', '/console/mcp-servers', 'MCP servers'],
      ['mcp-server', '/console/mcp-servers/:mcp', 'MCP server everything'],
      ['openai', '/console/openai', 'OpenAI-compatible API'],
      ['tenant-audit', '/console/audit', 'Audit log'],
    ],
    operator: [
      ['tenants', '/console/tenants', 'Tenants'],
      ['tenant', '/console/tenants/acme', 'Tenant acme'],
      ['operator-usage', '/console/operator/usage', 'Usage across tenants'],
      ['audit', '/console/operator/audit', 'Audit log'],
      ['health', '/console/operator/health', 'Health'],
    ],
  } as const;
  const SCREENSHOT_PAGES = new Set([
    'playground',
    'sessions',
    'agent',
    'keys',
    'usage',
    'tenants',
    'health',
    'mcp-servers',
    'mcp-server',
    'openai',
  ]);

  type Violation = { id: string; impact?: string | null; nodes: { target: unknown[] }[] };
  const serious = (where: string, violations: Violation[]) =>
    violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map(
        (violation) => `${where}: ${violation.id} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
      );

  /** Client-side navigation (the app is one document): axe, injected once, stays in the page. */
  async function visit(page: Page, template: string, heading: string) {
    const path = template.replace(':mcp', encodeURIComponent(mcpServerId));
    await page.evaluate(
      `history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`,
    );
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    const loading =
      "[...document.querySelectorAll('[role=status]')].some((element) => element.textContent.startsWith('Loading'))";
    await expect.poll(() => page.evaluate<boolean>(loading), { timeout: 10_000 }).toBe(false);
  }

  for (const who of ['tenant', 'operator'] as const) {
    it(`axe finds no serious or critical violation on any ${who} page, light and dark; usable at 390 px; no CSP violation`, async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const { context, page, csp } = await newContext();
      await page.goto(`${server.baseUrl}/console/`);
      await page.getByLabel('API key or admin key').waitFor();
      // AxeBuilder checks the sign-in page and leaves axe in the document for the pages after it.
      const failures = serious(
        `${who} sign-in`,
        (await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze()).violations,
      );
      await page.getByLabel('API key or admin key').fill(who === 'tenant' ? acmeKey : server.adminKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      for (const [name, path, heading] of PAGES[who]) {
        await visit(page, path, heading);
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          const result = await page.evaluate<{ violations: Violation[] }>(
            "axe.run(document, { resultTypes: ['violations'] })",
          );
          failures.push(...serious(`${who} ${name} ${scheme}`, result.violations));
          if (SCREENSHOT_PAGES.has(name)) await page.screenshot({ path: join(SCREENSHOTS, `${name}-${scheme}.png`) });
        }
      }
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [name, path, heading] of PAGES[who]) {
        await visit(page, path, heading);
        const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
        if (overflow > 1) failures.push(`${who} ${name} at 390 px overflows by ${overflow} px`);
        if (name === 'playground' || name === 'tenants')
          await page.screenshot({ path: join(SCREENSHOTS, `${name}-390-light.png`) });
      }
      expect(failures).toEqual([]);
      expect(csp).toEqual([]);
      await context.close();
    }, 60_000);
  }
});
