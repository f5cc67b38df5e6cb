import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import type { InProcessServer } from '../helpers/in-process-server.ts';
import { startInProcessServer } from '../helpers/in-process-server.ts';

const WEB = resolve(import.meta.dirname, '../../web');
const DIST = join(WEB, 'dist');

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds web/dist with Vite's JS API unless it is newer than every source of the console. */
export async function ensureConsoleBuilt(): Promise<void> {
  let built = 0;
  try {
    built = statSync(join(DIST, 'index.html')).mtimeMs;
  } catch {
    built = 0;
  }
  const sources = Math.max(
    newest(join(WEB, 'src')),
    newest(join(WEB, 'index.html')),
    newest(join(WEB, 'vite.config.ts')),
    newest(join(WEB, 'public')),
  );
  if (built > sources) return;
  await build({ configFile: join(WEB, 'vite.config.ts'), logLevel: 'warn' });
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export interface ConsoleServer {
  baseUrl: string;
  adminKey: string;
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  asKey(key: string, method: string, path: string, body?: unknown): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * The real Enclave (composition root) on a loopback port with auth required, a fresh SQLite
 * file, and the simulated model slowed to 120 ms a word so that a turn can be reloaded mid-stream.
 */
export async function startConsoleServer(env: Record<string, string> = {}): Promise<ConsoleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-console-'));
  const adminKey = randomBytes(32).toString('hex');
  const server: InProcessServer = await startInProcessServer(
    {
      DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}`,
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: adminKey,
      STREAM_DISCONNECT_GRACE_MS: '15000',
      ...env,
    },
    { simulatedWordDelayMs: 120 },
  );
  const call = (authorization: string, method: string, path: string, body?: unknown) =>
    fetch(`${server.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${authorization}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    baseUrl: server.baseUrl,
    adminKey,
    async admin<T>(method: string, path: string, body?: unknown) {
      const response = await call(adminKey, method, path, body);
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    asKey: (key, method, path, body) => call(key, method, path, body),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Records CSP violations (the DOM event, and Chromium's console report) on every page of a context. */
export async function watchCsp(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding('__reportCspViolation', (_source, text: string) => {
    violations.push(text);
  });
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sourceFile + ':' + event.lineNumber);
    });`,
  });
  context.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('API key or admin key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
