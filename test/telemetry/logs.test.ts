import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runJsonAndStreamedTurns } from '../helpers/json-and-streamed-turns.ts';
import { spawnServer } from '../helpers/spawn-server.ts';

type LogLine = Record<string, unknown> & { msg?: string };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts the real server, runs a JSON turn, a streamed turn and a refused request, stops it, and returns its log lines. */
async function logsOfOneRun(env: Record<string, string>): Promise<{ lines: LogLine[]; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-logs-'));
  dirs.push(dir);
  const server = await spawnServer({ DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}`, LOG_LEVEL: 'info', ...env });
  try {
    await runJsonAndStreamedTurns(server.baseUrl, {
      tenantId: 'logged-tenant',
      json: { text: 'PANGOLINMARKER hello', requestId: 'req-json' },
      streamed: { text: 'NARWHALMARKER what is the current_time?', requestId: 'req-sse' },
    });
    const missing = await fetch(`${server.baseUrl}/v1/sessions/ses_missing/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'tenant-id': 'logged-tenant', 'x-request-id': 'req-missing' },
      body: JSON.stringify({ content: 'QUOKKAMARKER anyone there?' }),
    });
    expect(missing.status).toBe(404);
  } finally {
    expect(await server.stop('SIGTERM')).toBe(0);
  }
  const output = server.output();
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
  return { lines, output };
}

const byRequest = (lines: LogLine[], requestId: string) => lines.filter((line) => line.request_id === requestId);

describe('logs', () => {
  it('carry tenant_id and request_id on every request and turn line, and never message text', async () => {
    const { lines, output } = await logsOfOneRun({});
    for (const requestId of ['req-json', 'req-sse', 'req-missing']) {
      const own = byRequest(lines, requestId);
      expect(own.map((line) => line.msg)).toContain('request completed');
      for (const line of own) expect(line.tenant_id).toBe('logged-tenant');
    }
    for (const requestId of ['req-json', 'req-sse']) {
      const turn = byRequest(lines, requestId).find((line) => line.msg === 'turn completed');
      expect(turn).toMatchObject({ tenant_id: 'logged-tenant', turn_id: expect.any(String) });
      expect(turn?.output_tokens).toBeGreaterThan(0);
    }
    expect(byRequest(lines, 'req-sse').find((line) => line.msg === 'turn completed')?.tool_calls).toBe(1);
    const refused = byRequest(lines, 'req-missing').find((line) => line.code === 'SESSION_NOT_FOUND');
    expect(refused?.tenant_id).toBe('logged-tenant');
    expect(output).not.toMatch(/PANGOLINMARKER|NARWHALMARKER|QUOKKAMARKER/);
  });

  it('put the message and reply text in turn lines only with LOG_CONTENT=true', async () => {
    const { lines } = await logsOfOneRun({ LOG_CONTENT: 'true' });
    const turn = byRequest(lines, 'req-json').find((line) => line.msg === 'turn completed');
    expect(turn?.message).toBe('PANGOLINMARKER hello');
    expect(turn?.reply).toContain('PANGOLINMARKER');
    expect(byRequest(lines, 'req-json').find((line) => line.msg === 'request completed')).not.toHaveProperty('message');
  });
});
