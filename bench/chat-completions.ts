/**
 * `npm run bench:chat`: the gateway overhead of `POST /v1/chat/completions`. The same streamed
 * completions from the fake OpenAI-compatible provider (bench/fake-stream-provider.ts, its own
 * process), called directly and through Enclave (a child `serve` process on a scratch SQLite file,
 * auth on, a tenant API key, the model `bench/<model>`: a gateway call, no agent prompt). Reports
 * p50 and p99 latency (request sent → whole response received), req/s and the answering server's
 * CPU per response (from /proc: the fake's for `direct`, Enclave's otherwise) of each, and the latency
 * Enclave adds (through minus direct) for a streamed and a JSON completion. Target: under 1 ms at p50.
 * The same streamed completion through bench/bare-proxy.ts (forwarding and nothing else) is measured
 * in the same rounds: what one more hop costs on this machine, the floor under Enclave's figure.
 * Two upstream paces, each measured in full: `paced` (BENCH_CHAT_MODEL, default `bench-10x20`: ten
 * content chunks 20 ms apart, a short reply at a real model's pace, so 50 connections ask ~250 req/s
 * and the overhead is measured below saturation; the target is judged here) and `ceiling`
 * (BENCH_CHAT_CEILING_MODEL, default `bench-3x0`: as fast as the fake's timer allows, so the
 * machine saturates and the figure is the req/s ceiling; its added latency is mostly queueing).
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 50), BENCH_WARMUP (s, default 3),
 * BENCH_QUICK=1 (2 s runs: a smoke test), BENCH_CPU_PROF=<dir> (--cpu-prof the server; the profile is
 * written when it stops, and covers every scenario), BENCH_STAGES=1 (bench/stage-trace.ts in the
 * server: where each Enclave scenario's time to first byte goes, stage by stage, p50/p90/p99).
 * Writes bench/results/chat-completions-<timestamp>.json and prints a table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ADMIN_KEY, createTenantKey } from './auth-overhead.ts';
import {
  benchScratch,
  builtServerArgs,
  cpuProfileArgs,
  ROOT,
  startBareProxy,
  startChildServer,
  startFakeStreamProvider,
} from './child-server.ts';
import { type LatencyStats, type LoadResult, latencyStats, runLoad } from './load.ts';
import { machineInfo } from './machine.ts';
import { withCpuPerResponse } from './process-stats.ts';
import { writeBenchResult } from './results-file.ts';
import { loadSettings } from './settings.ts';
import { STAGES } from './stage-report.ts';

const settings = loadSettings(process.env);
const paces = [
  { pace: 'paced', model: process.env.BENCH_CHAT_MODEL || 'bench-10x20' },
  { pace: 'ceiling', model: process.env.BENCH_CHAT_CEILING_MODEL || 'bench-3x0' },
];
const { dir: tempDir, cleanUp } = benchScratch('enclave-bench-chat-');
const stagesFile = process.env.BENCH_STAGES === '1' ? join(tempDir, 'stages.jsonl') : null;
const log = (line: string): void => void process.stderr.write(`[bench:chat] ${line}\n`);

const messages = [
  { role: 'system', content: 'You are a benchmark.' },
  { role: 'user', content: 'Say three words.' },
];

interface Scenario {
  pace: string;
  model: string;
  name: string;
  result: LoadResult;
  /** CPU microseconds per response of the server answering the client (the provider for `direct`). */
  cpuMicrosPerResponse: number | null;
  /** Epoch ms the measured run began and ended (to find its requests among the stage traces). */
  window: [number, number];
}

type StageName = (typeof STAGES)[number];

/** Each stage's latency over the requests that began within `window` (bench/stage-trace.ts). */
function stagesIn(lines: Record<StageName | 'at', number>[], window: [number, number]) {
  const inside = lines.filter((line) => line.at >= window[0] && line.at <= window[1]);
  if (inside.length === 0) return null;
  const stats = {} as Record<StageName, LatencyStats>;
  for (const stage of STAGES) stats[stage] = latencyStats(inside.map((line) => line[stage]));
  return { requests: inside.length, stats };
}

async function main(): Promise<void> {
  const provider = await startFakeStreamProvider();
  const server = await startChildServer({
    name: 'enclave-chat',
    args: builtServerArgs(),
    nodeOptions: [...cpuProfileArgs(), ...(stagesFile ? ['--import', join(ROOT, 'bench/stage-trace.ts')] : [])],
    env: {
      ...(stagesFile ? { BENCH_STAGES_FILE: stagesFile } : {}),
      DATABASE_URL: `sqlite:${join(tempDir, 'bench.db')}`,
      LOG_LEVEL: 'warn',
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: BENCH_ADMIN_KEY,
      ENCLAVE_PROVIDERS: JSON.stringify([
        { id: 'bench', type: 'openai-compatible', baseUrl: `${provider.baseUrl}/v1` },
      ]),
      // Measure the overhead, not the shedding.
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    readyPath: '/readyz',
  });
  const bareProxy = await startBareProxy(provider);
  const key = await createTenantKey(server, 'bench-chat');
  const through = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const direct = { 'content-type': 'application/json' };
  const load = (title: string, baseUrl: string, headers: Record<string, string>, body: unknown, seconds: number) =>
    runLoad({
      title,
      baseUrl,
      method: 'POST',
      path: '/v1/chat/completions',
      body: JSON.stringify(body),
      headers,
      durationSeconds: seconds,
      connections: settings.connections,
    });
  const streamed = { messages, stream: true, stream_options: { include_usage: true } };
  // Each case names the server that answers its client: its CPU per response is the one reported.
  const casesOf = (model: string) => [
    { name: 'direct (streamed)', target: provider, headers: direct, body: { model, ...streamed } },
    { name: 'bare proxy (streamed)', target: bareProxy, headers: direct, body: { model, ...streamed } },
    { name: 'enclave (streamed)', target: server, headers: through, body: { model: `bench/${model}`, ...streamed } },
    { name: 'enclave (JSON)', target: server, headers: through, body: { model: `bench/${model}`, messages } },
  ];
  const scenarios: Scenario[] = [];
  try {
    for (const { pace, model } of paces) {
      log(`${pace}: ${settings.connections} connections, ${settings.durationSeconds} s per scenario, model ${model}`);
      const cases = casesOf(model);
      for (const entry of cases)
        await load(`${entry.name} warm-up`, entry.target.baseUrl, entry.headers, entry.body, settings.warmupSeconds);
      for (const entry of cases) {
        const began = Date.now();
        const { load: result, cpuMicrosPerResponse } = await withCpuPerResponse(entry.target.pid, () =>
          load(entry.name, entry.target.baseUrl, entry.headers, entry.body, settings.durationSeconds),
        );
        const window: [number, number] = [began, Date.now()];
        if (result.non2xx > 0 || result.errors > 0) {
          throw new Error(
            `${entry.name}: ${result.non2xx} non-2xx, ${result.errors} errors (${JSON.stringify(result.statusCodes)})`,
          );
        }
        scenarios.push({ pace, model, name: entry.name, result, cpuMicrosPerResponse, window });
      }
    }
  } finally {
    await server.stop();
    await bareProxy.stop();
    await provider.stop();
  }
  const traced =
    stagesFile && existsSync(stagesFile)
      ? readFileSync(stagesFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<StageName | 'at', number>)
      : [];
  const stages = scenarios
    .filter((scenario) => scenario.name.startsWith('enclave'))
    .map((scenario) => ({ pace: scenario.pace, scenario: scenario.name, ...stagesIn(traced, scenario.window) }));
  const rows = scenarios.map(({ pace, model, name, result, cpuMicrosPerResponse }) => {
    const base = scenarios.find((scenario) => scenario.pace === pace)?.result;
    return {
      pace: `${pace} (${model})`,
      scenario: name,
      'req/s': Math.round(result.reqPerSec),
      'p50 ms': result.latencyMs.p50,
      'p99 ms': result.latencyMs.p99,
      'added p50 ms': base ? Number((result.latencyMs.p50 - base.latencyMs.p50).toFixed(3)) : 0,
      'added p99 ms': base ? Number((result.latencyMs.p99 - base.latencyMs.p99).toFixed(3)) : 0,
      'server CPU µs/resp': cpuMicrosPerResponse,
    };
  });
  console.table(rows);
  if (stagesFile) {
    log('time to first byte inside the server, ms (p50 / p90 / p99), from bench/stage-trace.ts:');
    console.table(
      stages.map(({ pace, scenario, requests, stats }) => ({
        pace,
        scenario,
        requests,
        ...Object.fromEntries(
          STAGES.map((stage) => [
            stage,
            stats ? `${stats[stage].p50} / ${stats[stage].p90} / ${stats[stage].p99}` : '-',
          ]),
        ),
      })),
    );
  }
  const paced = rows.filter((row) => row.pace.startsWith('paced') && row.scenario.startsWith('enclave'));
  const worst = Math.max(...paced.map((row) => row['added p50 ms']));
  log(`target (paced, added p50 < 1 ms): ${worst < 1 ? 'PASS' : 'MISS'} (worst ${worst} ms)`);
  const report = {
    at: new Date().toISOString(),
    machine: machineInfo(),
    settings,
    paces,
    rows,
    scenarios,
    ...(stagesFile ? { stages } : {}),
  };
  log(`wrote ${writeBenchResult('chat-completions', report, report.at)}`);
}

main()
  .catch((error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  })
  .finally(cleanUp);
