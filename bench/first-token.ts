/**
 * `npm run bench:first-token`: the time to the first token Enclave adds to a streamed `/v1` turn,
 * one turn at a time: the performance issue's "added at one connection" figure, on its own and
 * quick to repeat (the full bench measures it too, in the SSE scenario's sequential phase, with the
 * same server, provider and client). Turns through Enclave (`POST /v1/sessions/{id}/messages`,
 * SSE, each on a new session, to its first `text-delta` event) alternate with the same completion
 * asked of the fake provider directly (to its first content chunk); the clients are raw node:http
 * without keep-alive. Reports p50/p90/p99 of both and the added p50 and p99 against the 0.7 ms
 * target. With BENCH_STAGES=1 the server loads bench/stage-trace.ts, and the report splits the
 * server's part of each turn into stages (pre, queue, wire, post; docs/operations.md, "Where a
 * turn's time goes").
 * Env: BENCH_FIRST_TOKEN_TURNS (measured pairs, default 200, after 50 unmeasured ones),
 * BENCH_FIRST_TOKEN_HTTP1=1 (Enclave reaches the provider over HTTP/1.1 instead of h2c),
 * BENCH_CPU_PROF=<dir>, BENCH_STAGES=1.
 * Writes bench/results/first-token-<timestamp>.json and prints a table.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ADMIN_KEY } from './auth-overhead.ts';
import {
  benchScratch,
  builtServerArgs,
  cpuProfileArgs,
  ROOT,
  startChildServer,
  startFakeStreamProvider,
} from './child-server.ts';
import { latencyStats } from './load.ts';
import { machineInfo } from './machine.ts';
import {
  createSessions,
  directJob,
  enclaveJob,
  FIRST_TOKEN_TARGET_MS,
  type Side,
  sequential,
  streamingTenant,
} from './sse-concurrency.ts';

const turns = Math.max(1, Number(process.env.BENCH_FIRST_TOKEN_TURNS) || 200);
const warm = 50;
const http2 = process.env.BENCH_FIRST_TOKEN_HTTP1 !== '1';
const model = 'bench-3x1';
const { dir: tempDir, cleanUp } = benchScratch('enclave-bench-first-token-');
const stagesFile = process.env.BENCH_STAGES === '1' ? join(tempDir, 'stages.jsonl') : null;
const STAGES = ['pre', 'queue', 'wire', 'post'] as const;
const log = (line: string): void => void process.stderr.write(`[bench:first-token] ${line}\n`);

async function main(): Promise<void> {
  const provider = await startFakeStreamProvider();
  const server = await startChildServer({
    name: 'enclave-first-token',
    args: builtServerArgs(),
    nodeOptions: [...cpuProfileArgs(), ...(stagesFile ? ['--import', join(ROOT, 'bench/stage-trace.ts')] : [])],
    env: {
      ...(stagesFile
        ? {
            BENCH_STAGES_FILE: stagesFile,
            BENCH_STAGES_ROUTE: '^/v1/sessions/',
            BENCH_STAGES_FIRST: 'event: text-delta',
          }
        : {}),
      DATABASE_URL: `sqlite:${join(tempDir, 'bench.db')}`,
      LOG_LEVEL: 'warn',
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: BENCH_ADMIN_KEY,
      ENCLAVE_PROVIDERS: JSON.stringify([
        { id: 'bench', type: 'openai-compatible', baseUrl: `${provider.baseUrl}/v1`, http2 },
      ]),
    },
    readyPath: '/readyz',
  });
  let measured: Awaited<ReturnType<typeof sequential>>;
  try {
    const key = await streamingTenant(server, 'first-token', model);
    const sessions = await createSessions(server, key, warm + turns);
    log(`${turns} turns through Enclave and ${turns} straight to the provider, alternating, after ${warm} of each`);
    measured = await sequential(
      { enclave: enclaveJob(server, key), direct: directJob(provider) },
      sessions,
      model,
      warm,
    );
  } finally {
    await server.stop();
    await provider.stop();
  }
  const failed = measured.enclave.failed + measured.direct.failed;
  if (failed > 0) throw new Error(`${failed} streams did not complete: ${measured.enclave.errors.join('; ')}`);
  const enclave = measured.enclave.ttfbMs;
  const direct = measured.direct.ttfbMs;
  const added = { p50: round(enclave.p50 - direct.p50), p99: round(enclave.p99 - direct.p99) };
  const stages = stagesFile && existsSync(stagesFile) ? stagesOf(readFileSync(stagesFile, 'utf8')) : null;
  console.table([
    { side: 'direct', ...pick(direct) },
    { side: 'enclave', ...pick(enclave) },
  ]);
  if (stages) {
    log("the server's part of each turn, ms (p50 / p90 / p99), from bench/stage-trace.ts:");
    console.table([
      Object.fromEntries(
        STAGES.map((stage) => [stage, `${stages[stage].p50} / ${stages[stage].p90} / ${stages[stage].p99}`]),
      ),
    ]);
  }
  const pass = added.p50 <= FIRST_TOKEN_TARGET_MS;
  log(
    `added p50 ${added.p50} ms, p99 ${added.p99} ms; target (added p50 <= ${FIRST_TOKEN_TARGET_MS} ms): ${pass ? 'PASS' : 'MISS'}`,
  );
  const report = {
    at: new Date().toISOString(),
    machine: machineInfo(),
    settings: { turns, warm, model, providerHttp2: http2 },
    enclaveMs: enclave,
    directMs: direct,
    addedMs: added,
    target: { addedP50Ms: FIRST_TOKEN_TARGET_MS, pass },
    ...(stages ? { stagesMs: stages } : {}),
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, `bench/results/first-token-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${file}`);
}

const round = (value: number): number => Number(value.toFixed(3));
const pick = (stats: Side['ttfbMs']) => ({
  'p50 ms': stats.p50,
  'p90 ms': stats.p90,
  'p99 ms': stats.p99,
});

/** Each stage's latency over the measured turns (the traces of the unmeasured first ones dropped). */
function stagesOf(text: string) {
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<(typeof STAGES)[number], number>)
    .slice(warm);
  return Object.fromEntries(STAGES.map((stage) => [stage, latencyStats(lines.map((line) => line[stage]))])) as Record<
    (typeof STAGES)[number],
    ReturnType<typeof latencyStats>
  >;
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
