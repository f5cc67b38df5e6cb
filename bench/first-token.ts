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
import { machineInfo } from './machine.ts';
import { writeBenchResult } from './results-file.ts';
import {
  createSessions,
  directJob,
  enclaveJob,
  FIRST_TOKEN_TARGET_MS,
  type Side,
  sequential,
  streamingTenant,
} from './sse-concurrency.ts';
import { readStages, stagesRow } from './stage-report.ts';

const turns = Math.max(1, Number(process.env.BENCH_FIRST_TOKEN_TURNS) || 200);
const warm = 50;
const http2 = process.env.BENCH_FIRST_TOKEN_HTTP1 !== '1';
const model = 'bench-3x1';
const { dir: tempDir, cleanUp } = benchScratch('enclave-bench-first-token-');
const stagesFile = process.env.BENCH_STAGES === '1' ? join(tempDir, 'stages.jsonl') : null;
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
  const stages = readStages(stagesFile, warm);
  console.table([
    { side: 'direct', ...pick(direct) },
    { side: 'enclave', ...pick(enclave) },
  ]);
  if (stages) {
    log("the server's part of each turn, ms (p50 / p90 / p99), from bench/stage-trace.ts:");
    console.table([stagesRow(stages)]);
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
  log(`wrote ${writeBenchResult('first-token', report, report.at)}`);
}

const round = (value: number): number => Number(value.toFixed(3));
const pick = (stats: Side['ttfbMs']) => ({
  'p50 ms': stats.p50,
  'p90 ms': stats.p90,
  'p99 ms': stats.p99,
});

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
