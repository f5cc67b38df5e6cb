import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BearerProxy, startBearerProxy } from '../helpers/bearer-proxy.ts';
import { createTenantWithKey } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'c'.repeat(40)}`;
const CLI = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url),
);
const BASELINE = fileURLToPath(new URL('../conformance/mcp-server-baseline.yml', import.meta.url));
/** The scenarios that apply to Enclave (every other active one is in the baseline, with its reason). */
const APPLICABLE = ['server-initialize', 'ping', 'tools-list', 'resources-list', 'dns-rebinding-protection'];
const LIMIT_MS = 120_000;

let t: TestApp;
let proxy: BearerProxy;
let output: string;

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, HOST: '127.0.0.1' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const { key } = await createTenantWithKey(url, ADMIN, 'conformance');
  // The CLI cannot send a header: a loopback proxy adds the tenant's key to each request.
  proxy = await startBearerProxy(url, key);
  output = mkdtempSync(join(tmpdir(), 'enclave-mcp-conformance-'));
});
afterAll(async () => {
  await proxy?.close();
  await t?.dispose();
  if (output) if (!process.env.KEEP_CONFORMANCE) rmSync(output, { recursive: true, force: true });
});

/** Runs the CLI to its end (or kills it at the limit); loopback only: it talks to the proxy. */
function runConformance(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('MCP conformance (conformance server, active suite)', () => {
  it(
    'passes every scenario that applies to Enclave; the others fail exactly as the baseline says',
    async () => {
      const run = await runConformance([
        'server',
        '--url',
        `${proxy.url}/mcp`,
        '--expected-failures',
        BASELINE,
        '--output-dir',
        output,
      ]);
      expect(run.code, run.out.slice(-4000)).toBe(0);
      // Each applicable scenario ran, and none of its checks failed.
      for (const scenario of APPLICABLE) {
        const dir = readdirSync(output).find((name) => name.startsWith(`server-${scenario}-`));
        expect(dir, `results of ${scenario}`).toBeDefined();
        const checks = JSON.parse(readFileSync(join(output, dir as string, 'checks.json'), 'utf8')) as {
          id: string;
          status: string;
        }[];
        expect(checks.length, scenario).toBeGreaterThan(0);
        expect(
          checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING').map((check) => check.id),
          scenario,
        ).toEqual([]);
      }
    },
    LIMIT_MS + 10_000,
  );
});
