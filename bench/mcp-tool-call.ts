/**
 * The latency one MCP tool call adds to a turn: `@modelcontextprotocol/server-everything`
 * (Streamable HTTP, loopback) called (a) directly with the official client, one session per call as
 * Enclave makes it, and (b) through Enclave's tool loop: a turn that calls `everything__echo` against
 * the same turn without tools. Sequential, one tenant; p50/p99 in ms. `BENCH_MCP_CALLS` (default 30).
 *
 *   npm run bench:mcp
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { loadConfig } from '../src/config/load-config.ts';
import { createEnclave } from '../src/server.ts';
import { startMcpEverything } from '../test/fakes/start-mcp-everything.ts';

const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 30);
const ADMIN = `bench-admin-${'m'.repeat(40)}`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
const summary = (values: number[]) => ({
  p50: +percentile(values, 50).toFixed(2),
  p99: +percentile(values, 99).toFixed(2),
});

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const everything = await startMcpEverything();
const dir = mkdtempSync(join(tmpdir(), 'enclave-bench-mcp-'));
const enclave = await createEnclave(
  loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}`,
    LOG_LEVEL: 'silent',
    ENCLAVE_ADMIN_KEY: ADMIN,
    ENCLAVE_OUTBOUND_ALLOW: '127.0.0.1',
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
  }),
  { logger: false },
);
try {
  const call = async (method: string, url: string, headers: Record<string, string>, payload?: object) => {
    const response = await enclave.app.inject({
      method: method as 'POST',
      url,
      headers,
      ...(payload ? { payload } : {}),
    });
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json() as Record<string, unknown>;
  };
  const admin = { authorization: `Bearer ${ADMIN}` };
  await call('POST', '/v1/admin/tenants', admin, { id: 'bench' });
  const key = {
    authorization: `Bearer ${(await call('POST', '/v1/admin/tenants/bench/keys', admin, { name: 'bench' })).key}`,
  };
  await call('POST', '/v1/mcp-servers', key, { name: 'everything', url: everything.url });
  await call('POST', '/v1/agents', key, {
    id: 'mcp',
    name: 'MCP',
    config: { tools: [], mcp_servers: [{ server: 'everything', tools: ['echo'] }] },
  });
  await call('POST', '/v1/agents', key, { id: 'plain', name: 'Plain', config: { tools: [] } });
  const mcpSession = String((await call('POST', '/v1/sessions', key, { agent_id: 'mcp' })).id);
  const plainSession = String((await call('POST', '/v1/sessions', key, { agent_id: 'plain' })).id);

  const direct: number[] = [];
  const withTool: number[] = [];
  const withoutTool: number[] = [];
  for (let i = 0; i < CALLS + 3; i++) {
    const d = await timed(async () => {
      const client = new Client({ name: 'bench', version: '1' }, { capabilities: {} });
      await client.connect(new StreamableHTTPClientTransport(new URL(everything.url)));
      await client.callTool({ name: 'echo', arguments: { message: `hello ${i}` } });
      await client.close();
    });
    const w = await timed(() =>
      call('POST', `/v1/sessions/${mcpSession}/messages`, key, {
        content: `everything__echo {"message":"hello ${i}"}`,
      }),
    );
    const p = await timed(() => call('POST', `/v1/sessions/${plainSession}/messages`, key, { content: `hello ${i}` }));
    if (i < 3) continue; // warm-up
    direct.push(d);
    withTool.push(w);
    withoutTool.push(p);
  }
  const added = withTool.map((value, index) => value - (withoutTool[index] ?? 0));
  console.log(
    JSON.stringify(
      {
        calls: CALLS,
        direct_mcp_call_ms: summary(direct),
        enclave_turn_with_mcp_call_ms: summary(withTool),
        enclave_turn_without_tools_ms: summary(withoutTool),
        added_by_mcp_call_in_enclave_ms: summary(added),
        enclave_overhead_over_direct_p50_ms: +(percentile(added, 50) - percentile(direct, 50)).toFixed(2),
      },
      null,
      2,
    ),
  );
} finally {
  await enclave.close();
  await everything.close();
  rmSync(dir, { recursive: true, force: true });
}
