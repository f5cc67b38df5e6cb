import { formatJsonTurns, type JsonTurnSummary } from './json-turn.ts';
import type { LoadResult } from './load.ts';
import { type BenchSettings, countLabel } from './settings.ts';
import type { SseConcurrencySummary } from './sse-concurrency.ts';

/** Targets from the issue; printed as PASS/MISS, never failing the run. */
export const TARGETS = {
  /** Interact req/s at least this fraction of the echo server's. */
  interactVsEcho: 0.5,
  p99Ms: 10,
  /** History growth 0 → largest point: max/min of req/s and of p50 at most 1 + this. */
  flatness: 0.2,
  /** Interact with auth on (API key) at least this fraction of auth off, same run. */
  authOnVsOff: 0.9,
  /** Legacy interact on fresh tenants at least this many times the Python original's req/s, same run. */
  interactVsPython: 2,
  /** Server CPU per legacy interaction on fresh tenants, in microseconds. */
  cpuMicrosPerInteract: 150,
  /** Server RSS at idle, and after the memory scenario's new tenants (100k in a full run), in MiB. */
  idleRssMiB: 110,
  rssAfterTenantsMiB: 250,
  /** PostgreSQL-mode interact at least this fraction of a raw `pg` script with the same transactions. */
  postgresVsRaw: 0.6,
} as const;

/** PostgreSQL mode next to the raw `pg` script, same run and database server; null when PostgreSQL is absent. */
export interface PostgresModeSummary {
  enclave: ScenarioSummary;
  raw: { reqPerSec: number; responses: number; errors: number; latencyMs: { p50: number; p99: number } };
  ratio: number;
  targets: Record<string, Verdict>;
  poolMax: number;
}

/** Server RSS at idle and after `tenants` legacy interactions, each naming a new tenant. */
export interface MemorySummary {
  tenants: number;
  responses: number;
  non2xx: number;
  idleRssMiB: number | null;
  afterRssMiB: number | null;
  targets: Record<string, Verdict>;
}

export function memorySummary(
  measured: { idle: number | null; after: number | null; load: LoadResult },
  tenants: number,
): MemorySummary {
  const mib = (bytes: number | null) => (bytes === null ? null : round(bytes / 2 ** 20, 1));
  const idle = mib(measured.idle);
  const after = mib(measured.after);
  const targets: Record<string, Verdict> = {};
  if (idle !== null) targets.idle = verdict(`idle RSS <= ${TARGETS.idleRssMiB} MiB`, idle, idle <= TARGETS.idleRssMiB);
  if (after !== null)
    targets.afterTenants = verdict(
      `RSS after ${tenants} new tenants <= ${TARGETS.rssAfterTenantsMiB} MiB`,
      after,
      after <= TARGETS.rssAfterTenantsMiB,
    );
  return {
    tenants,
    responses: measured.load.responses,
    non2xx: measured.load.non2xx,
    idleRssMiB: idle,
    afterRssMiB: after,
    targets,
  };
}

export interface ScenarioSummary {
  reqPerSec: number;
  latencyMs: { p50: number; p97_5: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  responseBodyBytes: number;
  /** req/s divided by the echo server's; interact scenarios only. */
  ratioToEcho?: number;
  /** req/s divided by the Python original's, same run (fresh-tenant interact). */
  ratioToPython?: number;
  /** Server CPU (user + system, from /proc) per request over the measured load. */
  cpuMicrosPerRequest?: number | null;
  targets: Record<string, Verdict>;
  load: LoadResult;
}

export interface Verdict {
  target: string;
  actual: number;
  pass: boolean;
}

export interface GrowthPoint extends ScenarioSummary {
  label: string;
  tenantId: string;
  messagesAtStart: number;
  /** The history keeps growing while measured: two messages per request. */
  messagesAtEnd: number;
  /** Body of the first response, at exactly `messagesAtStart` of history. */
  responseBodyBytesFirst: number;
}

export interface Report {
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: Record<string, unknown>;
  settings: BenchSettings & { seedSeconds: Record<string, number> };
  targets: typeof TARGETS;
  scenarios: {
    echo: ScenarioSummary;
    memory: MemorySummary;
    interactFreshTenants: ScenarioSummary & {
      /** Enclave's resident memory after the fresh-tenant rounds. */
      rssBytesAfter: number | null;
      /** The original Python/FastAPI implementation, same load, alternating rounds; null when it cannot run here. */
      pythonOriginal: (ScenarioSummary & { cpuMicrosPerRequest: number | null }) | null;
      /**
       * bench/durable-floor.ts, same load, alternating rounds: the same rows written in one
       * group-committed transaction per request by a bare node:http server, and nothing else.
       */
      durableFloor: ScenarioSummary & { cpuMicrosPerRequest: number | null };
    };
    interactHistoryGrowth: {
      description: string;
      points: GrowthPoint[];
      flatness: {
        /** The history lengths compared, e.g. "0→100k". */
        range: string;
        reqPerSecMaxOverMin: number;
        p50MaxOverMin: number;
        p99MaxOverMin: number;
        responseBytesMaxOverMin: number;
        targets: Record<string, Verdict>;
      };
    };
    historyPage: ScenarioSummary & { tenantId: string; messages: number; limit: number };
    /** Legacy interact on one tenant, auth off vs auth on with an API key, fresh databases, same run. */
    authOverhead: { off: ScenarioSummary; on: ScenarioSummary; ratio: number };
    postgresMode: PostgresModeSummary | null;
    /** Concurrent SSE turns against a fake streaming provider: memory per stream and TTFB overhead. */
    sseConcurrency: SseConcurrencySummary;
    /** A `/v1` JSON turn at one connection against the provider directly, with a bare proxy as the floor. */
    jsonTurnOneConnection: JsonTurnSummary;
  };
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

const verdict = (target: string, actual: number, pass: boolean): Verdict => ({
  target,
  actual: round(actual, 3),
  pass,
});

export function summarise(
  load: LoadResult,
  options: {
    echoReqPerSec?: number;
    p99Target?: boolean;
    pythonReqPerSec?: number | undefined;
    cpuMicrosPerRequest?: number | null;
  } = {},
): ScenarioSummary {
  const summary: ScenarioSummary = {
    reqPerSec: load.reqPerSec,
    latencyMs: {
      p50: load.latencyMs.p50,
      p97_5: load.latencyMs.p97_5,
      p99: load.latencyMs.p99,
      max: load.latencyMs.max,
    },
    errors: load.errors,
    timeouts: load.timeouts,
    non2xx: load.non2xx,
    responseBodyBytes: load.bodyBytes.mean,
    targets: {},
    load,
  };
  const echo = options.echoReqPerSec;
  if (echo !== undefined) {
    const ratio = echo > 0 ? load.reqPerSec / echo : 0;
    summary.ratioToEcho = round(ratio, 3);
    summary.targets.vsEcho = verdict(
      `req/s >= ${TARGETS.interactVsEcho}x echo`,
      ratio,
      ratio >= TARGETS.interactVsEcho,
    );
  }
  const python = options.pythonReqPerSec;
  if (python !== undefined) {
    const ratio = python > 0 ? load.reqPerSec / python : 0;
    summary.ratioToPython = round(ratio, 3);
    summary.targets.vsPython = verdict(
      `req/s >= ${TARGETS.interactVsPython}x the Python original`,
      ratio,
      ratio >= TARGETS.interactVsPython,
    );
  }
  if (options.cpuMicrosPerRequest !== undefined && options.cpuMicrosPerRequest !== null) {
    const cpu = options.cpuMicrosPerRequest;
    summary.cpuMicrosPerRequest = cpu;
    summary.targets.cpu = verdict(
      `server CPU <= ${TARGETS.cpuMicrosPerInteract} µs/request`,
      cpu,
      cpu <= TARGETS.cpuMicrosPerInteract,
    );
  }
  if (options.p99Target) {
    const p99 = load.latencyMs.p99;
    summary.targets.p99 = verdict(`p99 < ${TARGETS.p99Ms} ms`, p99, load.responses > 0 && p99 < TARGETS.p99Ms);
  }
  return summary;
}

const maxOverMin = (values: readonly number[]): number => {
  const min = Math.min(...values);
  return min > 0 ? round(Math.max(...values) / min, 3) : Number.POSITIVE_INFINITY;
};

export function flatness(points: readonly GrowthPoint[]): Report['scenarios']['interactHistoryGrowth']['flatness'] {
  const reqPerSec = maxOverMin(points.map((point) => point.reqPerSec));
  const p50 = maxOverMin(points.map((point) => point.latencyMs.p50));
  const limit = 1 + TARGETS.flatness;
  const range = `${points[0]?.label ?? '?'}→${points.at(-1)?.label ?? '?'}`;
  return {
    range,
    reqPerSecMaxOverMin: reqPerSec,
    p50MaxOverMin: p50,
    p99MaxOverMin: maxOverMin(points.map((point) => point.latencyMs.p99)),
    responseBytesMaxOverMin: maxOverMin(points.map((point) => point.responseBodyBytes)),
    targets: {
      reqPerSec: verdict(`req/s max/min <= ${limit}`, reqPerSec, reqPerSec <= limit),
      p50: verdict(`p50 max/min <= ${limit}`, p50, p50 <= limit),
    },
  };
}

const mark = (verdicts: Record<string, Verdict>): string =>
  Object.entries(verdicts)
    .map(([name, { pass }]) => `${name} ${pass ? 'PASS' : 'MISS'}`)
    .join(', ');

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, index) =>
      index === 0 || index === cells.length - 1 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
    )
    .join('  ')
    .trimEnd();
}

/** The short table printed at the end of a run. */
export function formatTable(report: Report): string {
  const { echo, interactFreshTenants, interactHistoryGrowth, historyPage, authOverhead, postgresMode } =
    report.scenarios;
  const header = ['scenario', 'req/s', 'p50 ms', 'p97.5', 'p99 ms', 'err', 'non2xx', 'body B', 'x echo', 'targets'];
  const row = (name: string, summary: ScenarioSummary): string[] => [
    name,
    summary.reqPerSec.toFixed(0),
    summary.latencyMs.p50.toFixed(2),
    summary.latencyMs.p97_5.toFixed(2),
    summary.latencyMs.p99.toFixed(2),
    String(summary.errors),
    String(summary.non2xx),
    String(summary.responseBodyBytes),
    summary.ratioToEcho === undefined ? '' : summary.ratioToEcho.toFixed(2),
    mark(summary.targets),
  ];
  const rows = [
    header,
    row('echo (node:http ceiling)', echo),
    row('interact, new tenant per request', interactFreshTenants),
    row('durable floor, new tenant per request', interactFreshTenants.durableFloor),
    ...(interactFreshTenants.pythonOriginal
      ? [row('python original, new tenant per request', interactFreshTenants.pythonOriginal)]
      : []),
    ...interactHistoryGrowth.points.map((point) =>
      row(`interact, one tenant @ ${point.label} msgs (→${point.messagesAtEnd})`, point),
    ),
    row(`history page limit=${historyPage.limit} @ ${countLabel(historyPage.messages)} msgs`, historyPage),
    row('interact, one tenant, auth off', authOverhead.off),
    row('interact, one tenant, auth on (API key)', authOverhead.on),
    ...(postgresMode ? [row('PostgreSQL: interact, new tenant per request', postgresMode.enclave)] : []),
  ];
  const widths = header.map((_, index) => Math.max(...rows.map((cells) => cells[index]?.length ?? 0)));
  const { flatness: flat } = interactHistoryGrowth;
  const settings = report.settings;
  return [
    `Enclave bench — ${settings.connections} connections, ${settings.durationSeconds} s per scenario${settings.quick ? ' (quick)' : ''}, node ${String(report.machine.node)}, ${String(report.machine.cpus)} cpus`,
    '',
    ...rows.map((cells) => pad(cells, widths)),
    '',
    `memory: RSS idle ${report.scenarios.memory.idleRssMiB} MiB, after ${report.scenarios.memory.responses} new tenants ${report.scenarios.memory.afterRssMiB} MiB — ${mark(report.scenarios.memory.targets)}`,
    `interact vs the Python original: ${interactFreshTenants.ratioToPython ?? 'not measured'}x; server CPU ${interactFreshTenants.cpuMicrosPerRequest ?? '?'} µs/request (python ${interactFreshTenants.pythonOriginal?.cpuMicrosPerRequest ?? '?'}, durable floor ${interactFreshTenants.durableFloor.cpuMicrosPerRequest ?? '?'} at ${interactFreshTenants.durableFloor.ratioToEcho ?? '?'}x echo); RSS after ${Math.round((interactFreshTenants.rssBytesAfter ?? 0) / 2 ** 20)} MiB`,
    `flatness ${flat.range} msgs: req/s max/min ${flat.reqPerSecMaxOverMin}, p50 max/min ${flat.p50MaxOverMin}, p99 max/min ${flat.p99MaxOverMin} — ${mark(flat.targets)}`,
    postgresMode
      ? `PostgreSQL: enclave ${postgresMode.enclave.reqPerSec} req/s vs raw pg script ${postgresMode.raw.reqPerSec} interactions/s (p50 ${postgresMode.raw.latencyMs.p50} ms) = ${postgresMode.ratio} — ${mark(postgresMode.targets)}`
      : 'PostgreSQL: not measured (no server)',
    ...formatSse(report.scenarios.sseConcurrency),
    formatJsonTurns(report.scenarios.jsonTurnOneConnection),
    `auth on / off: ${authOverhead.ratio} — ${authOverhead.ratio >= TARGETS.authOnVsOff ? 'PASS' : 'MISS'} (target >= ${TARGETS.authOnVsOff})`,
    `targets: interact req/s >= ${TARGETS.interactVsEcho}x echo; p99 < ${TARGETS.p99Ms} ms; flat ±${TARGETS.flatness * 100}% (max/min <= ${1 + TARGETS.flatness})`,
  ].join('\n');
}

function formatSse(sse: SseConcurrencySummary): string[] {
  const side = (name: string, ttfb: { p50: number; p99: number }) => `${name} p50 ${ttfb.p50} ms, p99 ${ttfb.p99} ms`;
  const { sequential, concurrent } = sse;
  return [
    `SSE: ${sse.streamsRun} streams (asked ${sse.settings.streams}${sse.limitedBy ? `, limited by ${sse.limitedBy}` : ''}), ${sse.peakOpenStreams} open at once, ${concurrent.enclave.completed} completed, ${concurrent.enclave.failed} failed; memory per stream ${Math.round(sse.memoryPerStreamBytes / 1024)} KiB (RSS ${Math.round(sse.rssBytes.before / 2 ** 20)} → ${Math.round(sse.rssBytes.peak / 2 ** 20)} MiB), ${Math.round(sse.settled.perStreamBytes.rss / 1024)} KiB settled (after a full GC: ${Math.round(sse.settled.before.rss / 2 ** 20)} → ${Math.round(sse.settled.peak.rss / 2 ** 20)} MiB)`,
    `SSE TTFB one at a time: ${side('enclave', sequential.enclave.ttfbMs)}; ${side('provider', sequential.direct.ttfbMs)}; added p50 ${sequential.overheadMs.p50} ms, p99 ${sequential.overheadMs.p99} ms`,
    `SSE TTFB ${sse.streamsRun} open: ${side('enclave', concurrent.enclave.ttfbMs)}; ${side('provider', concurrent.direct.ttfbMs)}; added p50 ${concurrent.overheadMs.p50} ms, p99 ${concurrent.overheadMs.p99} ms — ${mark(sse.targets)}`,
  ];
}
