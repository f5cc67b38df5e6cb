import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = 'node_modules/@modelcontextprotocol/conformance/dist/index.js';
const HARNESS = 'test/conformance/mcp-client-harness.ts';
const BASELINE = 'test/conformance/mcp-client-baseline.yml';

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  details?: { tooEarly?: boolean };
}

/**
 * Runs the conformance CLI against the harness (the scenario servers listen on localhost only) and
 * returns its exit code, output and the checks it recorded.
 */
function conformance(args: string[]): Promise<{ code: number | null; output: string; checks: Check[] }> {
  const out = mkdtempSync(join(tmpdir(), 'enclave-conformance-'));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, 'client', '--command', `${process.execPath} ${HARNESS}`, '--timeout', '60000', '-o', out, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    // A bound on the whole run: a hung scenario fails the test instead of holding CI.
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const checks = readdirSync(out, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('checks.json'))
        .flatMap((file) => JSON.parse(readFileSync(join(out, file), 'utf8')) as Check[]);
      rmSync(out, { recursive: true, force: true });
      resolve({ code, output, checks });
    });
  });
}

describe('MCP client conformance (@modelcontextprotocol/conformance)', () => {
  it('passes the auth suite except the baseline', { timeout: 300_000 }, async () => {
    const { code, output } = await conformance(['--suite', 'auth', '--expected-failures', BASELINE]);
    expect(output).toContain('Baseline check passed');
    expect(code, output.slice(-4000)).toBe(0);
  });

  for (const scenario of ['initialize', 'tools_call', 'auth/client-credentials-basic']) {
    it(`passes ${scenario}`, { timeout: 300_000 }, async () => {
      const { code, output } = await conformance(['--scenario', scenario]);
      expect(code, output.slice(-4000)).toBe(0);
    });
  }

  it('fails only the baselined core scenario (elicitation)', { timeout: 300_000 }, async () => {
    const run = await conformance([
      '--scenario',
      'elicitation-sep1034-client-defaults',
      '--expected-failures',
      BASELINE,
    ]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
  });

  it('sse-retry: resumes the cut stream with Last-Event-ID, never before the retry delay', {
    timeout: 150_000,
  }, async () => {
    // Run alone: the scenario also warns when the reconnect comes *late*, which a loaded CI machine
    // can cause; reconnecting early, or not at all, is a failure.
    const { output, checks } = await conformance(['--scenario', 'sse-retry']);
    expect(
      checks.filter((check) => check.status === 'FAILURE'),
      output.slice(-4000),
    ).toEqual([]);
    const warnings = checks.filter((check) => check.status === 'WARNING');
    for (const warning of warnings) {
      expect(warning.id).toBe('client-sse-retry-timing');
      expect(warning.details?.tooEarly).toBe(false);
    }
    expect(checks.filter((check) => check.status === 'SUCCESS').map((check) => check.id)).toEqual(
      expect.arrayContaining(['client-sse-graceful-reconnect', 'client-sse-last-event-id']),
    );
  });
});
