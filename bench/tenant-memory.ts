/**
 * Memory per tenant: starts the built server (as `npm start` does) on a scratch SQLite file, reads
 * its RSS at idle, then creates `TENANTS` tenants (one legacy interact each, as the full bench's
 * memory probe does) in steps of `STEP`, reading RSS after each step. The slope between the first
 * and last step is the per-tenant cost; a bounded server levels off. `SNAPSHOTS=1` also writes a
 * V8 heap snapshot at idle and after the last step (into `.scratch/`), for a diff by constructor.
 *
 *   npm run bench:tenant-memory   # TENANTS=20000 STEP=5000 CONNECTIONS=50; SMAPS=1 adds /proc/<pid>/smaps by kind,
 *                                 # SERVER_NODE_OPTIONS / SERVER_ENV (JSON) change the server, SHOW_OUTPUT=1 prints its output
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtServerArgs, killAllChildServers, ROOT, startChildServer } from './child-server.ts';
import { cpuMicros, rssBytes } from './process-stats.ts';
import { interactNewTenants } from './scenarios.ts';
import { loadSettings } from './settings.ts';

const TENANTS = Number(process.env.TENANTS ?? 20_000);
const STEP = Number(process.env.STEP ?? 5_000);
const SNAPSHOTS = process.env.SNAPSHOTS === '1';
const settings = { ...loadSettings(process.env), connections: Number(process.env.CONNECTIONS ?? 50) };
const mib = (bytes: number | null) => (bytes === null ? 'n/a' : (bytes / 1024 / 1024).toFixed(1));

/** V8 heap figures from the server's own /metrics (auth is off here), and RSS split anon/file from /proc. */
async function breakdown(): Promise<string> {
  const text = await fetch(`${server.baseUrl}/metrics`).then((response) => response.text());
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  let anon = Number.NaN;
  let peak = Number.NaN;
  try {
    const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
    anon = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1]) * 1024;
    peak = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) * 1024;
  } catch {}
  const spaces = [...text.matchAll(/^enclave_nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)/gm)]
    .filter((match) => Number(match[2]) > 1024 * 1024)
    .map((match) => `${match[1]} ${mib(Number(match[2]))}`)
    .join(' ');
  return (
    `peak ${mib(peak)}, [${spaces}] anon ${mib(anon)}, heapUsed ${mib(metric('enclave_nodejs_heap_size_used_bytes'))}, ` +
    `heapTotal ${mib(metric('enclave_nodejs_heap_size_total_bytes'))}, external ${mib(metric('enclave_nodejs_external_memory_bytes'))}`
  );
}

const tempDir = mkdtempSync(join(tmpdir(), 'enclave-tenant-memory-'));
const snapshotDir = join(ROOT, '.scratch', 'heap');
if (SNAPSHOTS) mkdirSync(snapshotDir, { recursive: true });
const server = await startChildServer({
  name: 'enclave',
  args: builtServerArgs(),
  env: { DATABASE_URL: `sqlite:${join(tempDir, 'bench.db')}`, LOG_LEVEL: 'warn', ...extraEnv() },
  readyPath: '/readyz',
  nodeOptions: [
    ...(SNAPSHOTS ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : []),
    ...(process.env.SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
  ],
});

function extraEnv(): Record<string, string> {
  return process.env.SERVER_ENV ? (JSON.parse(process.env.SERVER_ENV) as Record<string, string>) : {};
}

/** Resident anonymous memory by mapping size (malloc arenas are 64 MiB-aligned regions, V8 pages smaller). */
function smapsSummary(): string {
  if (process.env.SMAPS !== '1') return '';
  const groups = new Map<string, number>();
  let current = '';
  for (const line of readFileSync(`/proc/${server.pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const size = (Number.parseInt(header[2] as string, 16) - Number.parseInt(header[1] as string, 16)) / 1024;
      const path = header[3] ?? '';
      current = path.startsWith('/')
        ? 'file'
        : path || (size >= 65_536 ? 'anon >=64M' : size >= 1024 ? 'anon 1-64M' : 'anon <1M');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) groups.set(current, (groups.get(current) ?? 0) + Number(rss[1]));
  }
  return [...groups].map(([name, kb]) => `${name} ${(kb / 1024).toFixed(1)}`).join(', ');
}

async function snapshot(label: string): Promise<void> {
  if (!SNAPSHOTS || server.pid === undefined) return;
  const before = new Set(readdirSync(snapshotDir));
  process.kill(server.pid, 'SIGUSR2');
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const added = readdirSync(snapshotDir).filter((name) => !before.has(name));
    // The file appears when writing starts; wait until the server answers again (writing blocks it).
    if (added.length > 0) {
      await fetch(`${server.baseUrl}/readyz`).then((response) => response.arrayBuffer());
      console.log(`snapshot ${label}: ${join(snapshotDir, added[0] as string)}`);
      return;
    }
  }
}

try {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idle = rssBytes(server.pid);
  console.log(`idle: RSS ${mib(idle)} MiB (${await breakdown()})`);
  if (process.env.SMAPS === '1') console.log(`smaps: ${smapsSummary()}`);
  await snapshot('idle');
  let done = 0;
  let firstStep: { tenants: number; rss: number } | null = null;
  const started = Date.now();
  while (done < TENANTS) {
    const amount = Math.min(STEP, TENANTS - done);
    const stepStarted = performance.now();
    const cpuBefore = cpuMicros(server.pid) ?? 0;
    const load = await interactNewTenants(server.baseUrl, settings, amount);
    const rate = Math.round(load.responses / ((performance.now() - stepStarted) / 1000));
    const cpuPerRequest = Math.round(((cpuMicros(server.pid) ?? 0) - cpuBefore) / Math.max(1, load.responses));
    done += amount;
    const rss = rssBytes(server.pid) ?? 0;
    firstStep ??= { tenants: done, rss };
    console.log(
      `${done} tenants: RSS ${mib(rss)} MiB (${await breakdown()}), ${rate} req/s, ${cpuPerRequest} µs CPU/req, ${load.non2xx} non-2xx, ${load.errors} errors ` +
        `(${Math.round((Date.now() - started) / 1000)} s)`,
    );
  }
  const last = rssBytes(server.pid) ?? 0;
  if (firstStep && done > firstStep.tenants) {
    const perTenant = (last - firstStep.rss) / (done - firstStep.tenants);
    console.log(`slope after the first step: ${perTenant.toFixed(0)} B/tenant`);
  }
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  console.log(`2 s later: RSS ${mib(rssBytes(server.pid))} MiB (${await breakdown()})`);
  if (process.env.SMAPS === '1') console.log(`smaps: ${smapsSummary()}`);
  await snapshot('after');
  if (process.env.SHOW_OUTPUT === '1') console.log(server.output());
} finally {
  await server.stop();
  killAllChildServers();
  rmSync(tempDir, { recursive: true, force: true });
}
