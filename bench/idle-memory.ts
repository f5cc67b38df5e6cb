/**
 * Idle memory of the embedded default (SQLite, simulated model, no Redis, no tracing): starts the
 * server as `npm start` does, waits until /readyz answers and a second more, then reads its RSS,
 * V8 heap and the packages it loaded through the module probe preload. Runs 3 times (RUNS=n) and
 * prints the medians; `--packages` also lists the packages loaded. The optional services'
 * variables are unset unless `--as-is` is given (to measure this shell's configuration).
 *
 *   npm run bench:memory [-- --packages] [-- --as-is] [-- --source]
 */
import { spawnSync } from 'node:child_process';
import { probeIdleServer } from '../test/helpers/probe-idle-server.ts';
import type { ProbeReport } from '../test/helpers/probe-report.ts';

const RUNS = Number(process.env.RUNS ?? 3);
/** The embedded default: none of the optional services, whatever this shell holds (`--as-is` keeps them). */
const DEFAULT_ENV = {
  ENCLAVE_PROVIDERS: undefined,
  ENCLAVE_PROVIDERS_FILE: undefined,
  REDIS_URL: undefined,
  OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

// What `npm start` runs: the built server (dist/), rebuilt from the sources first. `-- --source`
// measures the sources run directly (with Node's TypeScript stripper), as tests and the CLI run.
const fromSource = process.argv.includes('--source');
if (!fromSource && spawnSync(process.execPath, ['scripts/build-server.mjs'], { stdio: 'inherit' }).status !== 0) {
  throw new Error('npm run build:server failed');
}
const entry = fromSource ? 'src/cli/main.ts' : 'dist/enclave.mjs';
console.log(`measuring ${entry} serve`);
const reports: ProbeReport[] = [];
for (let run = 1; run <= RUNS; run++) {
  const report = await probeIdleServer(process.argv.includes('--as-is') ? {} : DEFAULT_ENV, 1_000, entry);
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
