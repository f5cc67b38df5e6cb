/**
 * `npm run bench:profile`: where a legacy interaction's server time goes. Starts `serve` on a
 * scratch SQLite file with `--cpu-prof`, runs the legacy-interact load (a fresh tenant per request,
 * BENCH_CONNECTIONS, BENCH_DURATION s), stops the server (the profile is written on exit), and
 * prints the self time by package or source folder, the top functions by self time, and the
 * inclusive time of our own functions. The `.cpuprofile` stays in bench/results/ for Chrome
 * DevTools or speedscope. Proportions hold on a busy machine; absolute figures do not.
 * docs/operations.md ("Where a turn's time goes") records a run of it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllChildServers, ROOT, startChildServer } from './child-server.ts';
import { interactFreshTenants } from './scenarios.ts';
import { loadSettings } from './settings.ts';
import { summarizeProfile } from './summarize-profile.ts';

const settings = loadSettings({ BENCH_DURATION: '10', ...process.env });
const tempDir = mkdtempSync(join(tmpdir(), 'enclave-profile-'));
const log = (line: string): void => void process.stderr.write(`[bench:profile] ${line}\n`);

async function main(): Promise<void> {
  const server = await startChildServer({
    name: 'enclave-profiled',
    args: ['src/cli/main.ts', 'serve'],
    nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${tempDir}`],
    env: {
      DATABASE_URL: `sqlite:${join(tempDir, 'bench.db')}`,
      LOG_LEVEL: 'warn',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    readyPath: '/readyz',
  });
  let requestsPerSecond = 0;
  try {
    const result = await interactFreshTenants(server.baseUrl, settings, settings.durationSeconds, 'profile');
    requestsPerSecond = result.reqPerSec;
    log(
      `${Math.round(result.reqPerSec)} req/s over ${settings.durationSeconds} s at ${settings.connections} connections`,
    );
  } finally {
    await server.stop();
  }
  const file = readdirSync(tempDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no CPU profile');
  const summary = summarizeProfile(JSON.parse(readFileSync(join(tempDir, file), 'utf8')), ROOT);
  const at = new Date().toISOString().replaceAll(':', '-');
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  renameSync(join(tempDir, file), join(dir, `profile-interact-${at}.cpuprofile`));
  writeFileSync(
    join(dir, `profile-interact-${at}.json`),
    `${JSON.stringify({ requestsPerSecond, ...summary }, null, 2)}\n`,
  );
  const percent = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  console.log('self time by package or source folder:');
  for (const row of summary.byPackage.slice(0, 20)) console.log(`${percent(row.share)}  ${row.name}`);
  console.log('\ntop functions by self time:');
  for (const row of summary.bySelf.slice(0, 25)) console.log(`${percent(row.share)}  ${row.name}`);
  console.log('\nour functions, inclusive:');
  for (const row of summary.ownInclusive.slice(0, 30)) console.log(`${percent(row.share)}  ${row.name}`);
  log(`wrote bench/results/profile-interact-${at}.{cpuprofile,json}`);
}

main()
  .catch((error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  })
  .finally(() => {
    killAllChildServers();
    rmSync(tempDir, { recursive: true, force: true });
  });
