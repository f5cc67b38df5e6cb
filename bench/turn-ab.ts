/**
 * `npm run bench:turns`: the speed line. Legacy interact (a new tenant per request) and `/v1` JSON
 * turns (spread over one session per connection), measured on two checkouts of Enclave in
 * alternating rounds on this machine: the baseline (a git ref, checked out into a scratch worktree
 * that shares this checkout's node_modules) and this checkout. Alternating puts drift in the
 * machine's speed on both sides alike; each side reports its median round, by req/s and by the
 * server's CPU per response (from /proc: steadier than req/s when other work shares the machine).
 * Env: BENCH_BASELINE_REF (default `HEAD~1`), BENCH_ROUNDS (default 3), BENCH_DURATION (s per
 * scenario per round, default 5), BENCH_CONNECTIONS (default 50), BENCH_WARMUP (s, default 2).
 * Writes bench/results/turn-ab-<timestamp>.json and prints a table.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { benchScratch, type ChildServer, ROOT, startChildServer } from './child-server.ts';
import { type LoadResult, runLoad } from './load.ts';
import { machineInfo } from './machine.ts';
import { withCpuPerResponse } from './process-stats.ts';
import { writeBenchResult } from './results-file.ts';
import { INTERACT_MESSAGE, interactFreshTenants } from './scenarios.ts';
import { loadSettings } from './settings.ts';

const env = process.env;
const baselineRef = env.BENCH_BASELINE_REF || 'HEAD~1';
const rounds = Math.max(1, Number(env.BENCH_ROUNDS) || 3);
const settings = loadSettings({ BENCH_DURATION: '5', BENCH_WARMUP: '2', ...env });
const { dir: tempDir, cleanUp } = benchScratch('enclave-turn-ab-', () => {
  try {
    git(['worktree', 'remove', '--force', baselineDir]);
  } catch {
    // never added, or already gone
  }
});
const baselineDir = join(tempDir, 'baseline');
const log = (line: string): void => void process.stderr.write(`[bench:turns] ${line}\n`);
const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

interface Side {
  name: 'baseline' | 'head';
  commit: string;
  server: ChildServer;
  sessionPaths: string[];
  legacy: Measured[];
  v1: Measured[];
}

/** A round's load, with the server's CPU microseconds per response over it (null without /proc). */
type Measured = LoadResult & { cpuMicrosPerResponse: number | null };

async function measured(side: Side, work: () => Promise<LoadResult>): Promise<Measured> {
  const { load, cpuMicrosPerResponse } = await withCpuPerResponse(side.server.pid, work);
  return { ...load, cpuMicrosPerResponse };
}

const V1_TENANT = 'bench-v1';

async function startSide(name: Side['name'], cwd: string, commit: string): Promise<Side> {
  const server = await startChildServer({
    name,
    cwd,
    args: ['src/cli/main.ts', 'serve'],
    env: { DATABASE_URL: `sqlite:${join(tempDir, `${name}.db`)}`, LOG_LEVEL: 'warn', ENCLAVE_AUTH: 'disabled' },
    readyPath: '/readyz',
  });
  const headers = { 'content-type': 'application/json', 'tenant-id': V1_TENANT };
  // The legacy route creates the tenant; then one session per connection, so turns never queue on a session lock.
  const created = await fetch(`${server.baseUrl}/agent/interact`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ tenant_id: V1_TENANT, message: 'hello' }),
  });
  if (!created.ok) throw new Error(`${name}: interact failed (${created.status}) ${await created.text()}`);
  const sessionPaths: string[] = [];
  for (let index = 0; index < settings.connections; index++) {
    const response = await fetch(`${server.baseUrl}/v1/sessions`, { method: 'POST', headers, body: '{}' });
    const session = (await response.json()) as { id?: string };
    if (!response.ok || !session.id) throw new Error(`${name}: session create failed (${response.status})`);
    sessionPaths.push(`/v1/sessions/${session.id}/messages`);
  }
  return { name, commit, server, sessionPaths, legacy: [], v1: [] };
}

function v1Turns(side: Side, durationSeconds: number): Promise<LoadResult> {
  let next = 0;
  return runLoad({
    title: `v1-turns ${side.name}`,
    baseUrl: side.server.baseUrl,
    method: 'POST',
    path: () => side.sessionPaths[next++ % side.sessionPaths.length] as string,
    headers: { 'tenant-id': V1_TENANT },
    body: JSON.stringify({ content: INTERACT_MESSAGE }),
    durationSeconds,
    connections: settings.connections,
  });
}

const median = (loads: Measured[]): Measured =>
  [...loads].sort((a, b) => a.reqPerSec - b.reqPerSec)[Math.floor(loads.length / 2)] as Measured;
/** The median of the rounds' CPU per response, taken on its own (not the req/s median's round). */
const medianCpu = (loads: Measured[]): number | null => {
  const values = loads.map((load) => load.cpuMicrosPerResponse).filter((value) => value !== null);
  return values.length === 0 ? null : ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number);
};
const brief = (load: Measured) => ({
  reqPerSec: load.reqPerSec,
  p50Ms: load.latencyMs.p50,
  p99Ms: load.latencyMs.p99,
  cpuMicrosPerResponse: load.cpuMicrosPerResponse,
  non2xx: load.non2xx,
  errors: load.errors,
});

async function main(): Promise<void> {
  const baselineCommit = git(['rev-parse', baselineRef]);
  const headCommit = git(['rev-parse', 'HEAD']);
  git(['worktree', 'add', '--detach', baselineDir, baselineCommit]);
  symlinkSync(join(ROOT, 'node_modules'), join(baselineDir, 'node_modules'));
  log(`baseline ${baselineRef} = ${baselineCommit.slice(0, 10)}, head ${headCommit.slice(0, 10)} (+ working tree)`);
  const sides = [await startSide('baseline', baselineDir, baselineCommit), await startSide('head', ROOT, headCommit)];
  try {
    for (const side of sides) {
      await interactFreshTenants(side.server.baseUrl, settings, settings.warmupSeconds, `warm-${side.name}`);
      await v1Turns(side, settings.warmupSeconds);
    }
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const legacy = await measured(side, () =>
          interactFreshTenants(side.server.baseUrl, settings, settings.durationSeconds, `r${round}`),
        );
        const v1 = await measured(side, () => v1Turns(side, settings.durationSeconds));
        side.legacy.push(legacy);
        side.v1.push(v1);
        log(
          `round ${round + 1} ${side.name}: legacy ${legacy.reqPerSec} req/s p50 ${legacy.latencyMs.p50} ms ${legacy.cpuMicrosPerResponse} us CPU; v1 ${v1.reqPerSec} req/s p50 ${v1.latencyMs.p50} ms ${v1.cpuMicrosPerResponse} us CPU`,
        );
      }
    }
  } finally {
    for (const side of sides) await side.server.stop();
  }
  const summarise = (side: Side) => ({
    commit: side.commit,
    legacyInteract: { ...brief(median(side.legacy)), medianCpuMicrosPerResponse: medianCpu(side.legacy) },
    v1Turn: { ...brief(median(side.v1)), medianCpuMicrosPerResponse: medianCpu(side.v1) },
    rounds: { legacy: side.legacy.map(brief), v1: side.v1.map(brief) },
  });
  const [baselineSide, headSide] = sides as [Side, Side];
  const summary = { baseline: summarise(baselineSide), head: summarise(headSide) };
  const ratio = (key: 'legacyInteract' | 'v1Turn') =>
    Math.round((summary.head[key].reqPerSec / summary.baseline[key].reqPerSec) * 1000) / 1000;
  const report = {
    startedAt: new Date().toISOString(),
    machine: machineInfo(),
    settings: { baselineRef, rounds, ...settings },
    ...summary,
    headVsBaseline: { legacyInteract: ratio('legacyInteract'), v1Turn: ratio('v1Turn') },
  };
  const file = writeBenchResult('turn-ab', report, report.startedAt);
  for (const key of ['legacyInteract', 'v1Turn'] as const) {
    const [base, head] = [summary.baseline[key], summary.head[key]];
    console.log(
      `${key.padEnd(15)} baseline ${base.reqPerSec} req/s (p50 ${base.p50Ms} ms, p99 ${base.p99Ms} ms, ${base.medianCpuMicrosPerResponse} us CPU) | head ${head.reqPerSec} req/s (p50 ${head.p50Ms} ms, p99 ${head.p99Ms} ms, ${head.medianCpuMicrosPerResponse} us CPU) | head/baseline ${ratio(key)}`,
    );
  }
  console.log(`results: ${file}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
