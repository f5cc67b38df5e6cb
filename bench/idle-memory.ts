/**
 * Idle memory of the embedded default (SQLite, simulated model, no Redis, no tracing): starts the
 * server as `npm start` does, waits until /readyz answers and a second more, then reads its RSS,
 * V8 heap and the packages it loaded through the module probe preload. Runs 3 times (RUNS=n) and
 * prints the medians; `--packages` also lists the packages loaded. Extra env (e.g.
 * ENCLAVE_PROVIDERS, REDIS_URL) is passed through to measure other configurations.
 *
 *   npm run bench:memory [-- --packages]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeReport } from '../test/helpers/module-probe.ts';
import { freePort, ROOT } from '../test/helpers/spawn-server.ts';

const RUNS = Number(process.env.RUNS ?? 3);
const SETTLE_MS = 1_000;

async function measureOnce(): Promise<ProbeReport> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-idle-memory-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', './test/helpers/module-probe.ts', 'src/cli/main.ts', 'serve'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}`,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode})`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error('server did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const reply = once(child, 'message');
    child.send('probe');
    const [report] = (await reply) as [ProbeReport];
    return report;
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

const reports: ProbeReport[] = [];
for (let run = 1; run <= RUNS; run++) {
  const report = await measureOnce();
  reports.push(report);
  console.log(
    `run ${run}: RSS ${mib(report.rss)} MiB, heapUsed ${mib(report.heapUsed)} MiB, heapTotal ${mib(report.heapTotal)} MiB, ` +
      `external ${mib(report.external)} MiB, ${report.modules} modules from ${report.packages.length} packages`,
  );
}
console.log(
  `median of ${RUNS}: RSS ${mib(median(reports.map((report) => report.rss)))} MiB, ` +
    `heapUsed ${mib(median(reports.map((report) => report.heapUsed)))} MiB, ` +
    `modules ${median(reports.map((report) => report.modules))}`,
);
if (process.argv.includes('--packages')) console.log(`packages: ${reports.at(-1)?.packages.join(' ')}`);
