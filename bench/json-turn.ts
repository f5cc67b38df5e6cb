/**
 * A `/v1` JSON turn at one connection, against the same completion asked of the provider directly:
 * the performance issue's "added p50 at 1 connection" row. Each side keeps one keep-alive
 * connection; turns go one at a time, Enclave and direct alternating, after `warm` unmeasured
 * pairs. An Enclave turn is `POST /v1/sessions/{id}/messages` (JSON, no streaming: the model is
 * called with `doGenerate`) to its full answer; a direct one is the same non-streamed
 * `POST /v1/chat/completions` to its full answer. Each of `sessions` takes every `sessions.length`-th
 * turn, so the turns continue conversations (a context read each) rather than all starting one.
 *
 * A bare forwarding proxy (bench/bare-proxy.ts) runs in the same rounds: what one more loopback hop
 * costs on this machine with nothing else done, printed beside Enclave's figure. Each server's CPU
 * (user + system, from /proc) per measured turn is printed too: Enclave's per turn, the proxy's per call.
 *
 * Run on its own: `npm run bench:json-turn` (env BENCH_JSON_TURNS, default 300 measured pairs;
 * BENCH_JSON_SESSIONS, default 30; BENCH_JSON_TURN_HTTP1=1 to reach the provider over HTTP/1.1
 * instead of h2c; BENCH_JSON_TURN_MODEL, default `bench-3x1`: `gpt-4o-bench-3x1` makes Enclave count
 * the context with the o200k_base tokenizer, as for a GPT-4o agent; BENCH_CPU_PROF=<dir>; BENCH_STAGES=1 splits the server's part of each turn into the
 * stages of bench/stage-trace.ts, `post` ending with the answer written). The full bench runs it in
 * its SSE scenario's server.
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { BENCH_ADMIN_KEY } from './auth-overhead.ts';
import {
  benchScratch,
  builtServerArgs,
  type ChildServer,
  cpuProfileArgs,
  ROOT,
  startBareProxy,
  startChildServer,
  startFakeStreamProvider,
} from './child-server.ts';
import { type LatencyStats, latencyStats } from './load.ts';
import { machineInfo } from './machine.ts';
import { cpuMicros } from './process-stats.ts';
import { writeBenchResult } from './results-file.ts';
import { createSessions, FIRST_TOKEN_TARGET_MS, streamingTenant } from './sse-concurrency.ts';
import { readStages, stagesRow } from './stage-report.ts';

/** The target for the added p50 of a JSON turn at one connection, in ms. */
export const JSON_TURN_TARGET_MS = FIRST_TOKEN_TARGET_MS;

export interface JsonTurnSummary {
  description: string;
  turns: number;
  warm: number;
  sessions: number;
  enclaveMs: LatencyStats;
  directMs: LatencyStats;
  addedMs: { p50: number; p99: number };
  /** The server's CPU (user + system, from /proc) per measured turn: null without /proc. */
  cpuMicrosPerTurn: number | null;
  /** The bare forwarding proxy of bench/bare-proxy.ts in the same rounds: this machine's floor for one more hop. */
  bareProxy: { ms: LatencyStats; addedMs: { p50: number; p99: number }; cpuMicrosPerCall: number | null };
  target: { target: string; actual: number; pass: boolean };
}

/** One request on `agent`'s single connection; resolves to its latency in ms once the body has ended with 200. */
function timedPost(agent: Agent, baseUrl: string, path: string, headers: Record<string, string>, body: string) {
  return new Promise<number>((resolve, reject) => {
    const started = performance.now();
    const outgoing = request(
      new URL(path, baseUrl),
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          const ms = performance.now() - started;
          if (response.statusCode === 200) resolve(ms);
          else
            reject(new Error(`${path}: ${response.statusCode} ${Buffer.concat(parts).toString('utf8').slice(0, 300)}`));
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const oneConnection = () => new Agent({ keepAlive: true, maxSockets: 1 });

async function measureJsonTurns(options: {
  server: ChildServer;
  provider: ChildServer;
  /** A bare proxy to the provider (`startBareProxy`), measured in the same rounds. */
  bareProxy: ChildServer;
  key: string;
  model: string;
  turns: number;
  warm: number;
  sessions: number;
}): Promise<JsonTurnSummary> {
  const { server, provider, bareProxy, key, model, turns, warm } = options;
  const sessions = await createSessions(server, key, options.sessions);
  const completion = {
    path: () => '/v1/chat/completions',
    headers: {},
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
  };
  // Each side on one keep-alive connection of its own.
  const sides = {
    direct: { baseUrl: provider.baseUrl, ...completion },
    proxy: { baseUrl: bareProxy.baseUrl, ...completion },
    enclave: {
      baseUrl: server.baseUrl,
      // The turns continue the sessions in turn.
      path: (index: number) => `/v1/sessions/${sessions[index % sessions.length]}/messages`,
      headers: { authorization: `Bearer ${key}` },
      body: JSON.stringify({ content: 'Hi' }),
    },
  };
  const agents = { direct: oneConnection(), proxy: oneConnection(), enclave: oneConnection() };
  const times = { direct: [] as number[], proxy: [] as number[], enclave: [] as number[] };
  // Each process's CPU over the measured turns (it serves only its own side): /proc's 10 ms ticks
  // over hundreds of turns.
  const cpuAtStart = { enclave: null as number | null, proxy: null as number | null };
  const cpuPerTurn = (pid: number | undefined, start: number | null) => {
    const end = cpuMicros(pid);
    return start === null || end === null ? null : Math.round((end - start) / turns);
  };
  let cpu = { enclave: null as number | null, proxy: null as number | null };
  try {
    for (let index = 0; index < warm + turns; index++) {
      if (index === warm) {
        cpuAtStart.enclave = cpuMicros(server.pid);
        cpuAtStart.proxy = cpuMicros(bareProxy.pid);
      }
      for (const name of ['direct', 'proxy', 'enclave'] as const) {
        const { baseUrl, path, headers, body } = sides[name];
        const ms = await timedPost(agents[name], baseUrl, path(index), headers, body);
        if (index >= warm) times[name].push(ms);
      }
    }
    cpu = {
      enclave: cpuPerTurn(server.pid, cpuAtStart.enclave),
      proxy: cpuPerTurn(bareProxy.pid, cpuAtStart.proxy),
    };
  } finally {
    for (const agent of Object.values(agents)) agent.destroy();
  }
  const enclaveMs = latencyStats(times.enclave);
  const directMs = latencyStats(times.direct);
  const added = (ms: LatencyStats) => ({ p50: round(ms.p50 - directMs.p50), p99: round(ms.p99 - directMs.p99) });
  const addedMs = added(enclaveMs);
  const proxyMs = latencyStats(times.proxy);
  return {
    description:
      'A /v1 JSON turn (POST /v1/sessions/{id}/messages, no streaming) through Enclave to a fake OpenAI-compatible provider, against the same non-streamed chat completion asked of the provider directly: one keep-alive connection per side, one request at a time, alternating. Latency = request sent → whole answer read. Added = Enclave percentile − direct percentile.',
    turns,
    warm,
    sessions: sessions.length,
    enclaveMs,
    directMs,
    addedMs,
    cpuMicrosPerTurn: cpu.enclave,
    bareProxy: { ms: proxyMs, addedMs: added(proxyMs), cpuMicrosPerCall: cpu.proxy },
    target: {
      target: `added p50 <= ${JSON_TURN_TARGET_MS} ms, a /v1 JSON turn at one connection`,
      actual: addedMs.p50,
      pass: addedMs.p50 <= JSON_TURN_TARGET_MS,
    },
  };
}

const round = (value: number): number => Number(value.toFixed(3));

export const formatJsonTurns = (summary: JsonTurnSummary): string =>
  `/v1 JSON turn at one connection: enclave p50 ${summary.enclaveMs.p50} ms, p99 ${summary.enclaveMs.p99} ms; provider p50 ${summary.directMs.p50} ms, p99 ${summary.directMs.p99} ms; added p50 ${summary.addedMs.p50} ms, p99 ${summary.addedMs.p99} ms, ${summary.cpuMicrosPerTurn ?? '?'} µs of server CPU per turn — ${summary.target.pass ? 'PASS' : 'MISS'} (${summary.target.target}); a bare proxy adds p50 ${summary.bareProxy.addedMs.p50} ms, p99 ${summary.bareProxy.addedMs.p99} ms, ${summary.bareProxy.cpuMicrosPerCall ?? '?'} µs of CPU per call (the floor)`;

/**
 * Starts the fake provider, the bare proxy and Enclave (the built server, on a SQLite file in
 * `dir`), measures, and stops them. `stagesFile` loads bench/stage-trace.ts into Enclave.
 */
export async function runJsonTurnBench(options: {
  dir: string;
  turns: number;
  sessions: number;
  http2: boolean;
  stagesFile: string | null;
  log: (line: string) => void;
}): Promise<JsonTurnSummary> {
  const { dir, turns, stagesFile, log } = options;
  const provider = await startFakeStreamProvider();
  try {
    const bareProxy = await startBareProxy(provider);
    try {
      const server = await startChildServer({
        name: 'enclave-json-turn',
        args: builtServerArgs(),
        nodeOptions: [...cpuProfileArgs(), ...(stagesFile ? ['--import', join(ROOT, 'bench/stage-trace.ts')] : [])],
        env: {
          ...(stagesFile ? { BENCH_STAGES_FILE: stagesFile, BENCH_STAGES_ROUTE: '^/v1/sessions/' } : {}),
          DATABASE_URL: `sqlite:${join(dir, 'json-turn.db')}`,
          LOG_LEVEL: 'warn',
          ENCLAVE_AUTH: 'required',
          ENCLAVE_ADMIN_KEY: BENCH_ADMIN_KEY,
          ENCLAVE_PROVIDERS: JSON.stringify([
            { id: 'bench', type: 'openai-compatible', baseUrl: `${provider.baseUrl}/v1`, http2: options.http2 },
          ]),
        },
        readyPath: '/readyz',
      });
      try {
        const model = process.env.BENCH_JSON_TURN_MODEL || 'bench-3x1';
        const key = await streamingTenant(server, 'json-turn', model);
        log(
          `${turns} JSON turns through Enclave, ${turns} through a bare proxy and ${turns} straight to the provider, alternating, after ${JSON_TURN_WARM} of each`,
        );
        return await measureJsonTurns({
          server,
          provider,
          bareProxy,
          key,
          model,
          turns,
          warm: JSON_TURN_WARM,
          sessions: options.sessions,
        });
      } finally {
        await server.stop();
      }
    } finally {
      await bareProxy.stop();
    }
  } finally {
    await provider.stop();
  }
}

/** Unmeasured turns of each side before the measured ones. */
export const JSON_TURN_WARM = 50;

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`[bench:json-turn] ${line}\n`);
  const { dir, cleanUp } = benchScratch('enclave-bench-json-turn-');
  const stagesFile = process.env.BENCH_STAGES === '1' ? join(dir, 'stages.jsonl') : null;
  try {
    const summary = await runJsonTurnBench({
      dir,
      turns: Math.max(1, Number(process.env.BENCH_JSON_TURNS) || 300),
      sessions: Math.max(1, Number(process.env.BENCH_JSON_SESSIONS) || 30),
      http2: process.env.BENCH_JSON_TURN_HTTP1 !== '1',
      stagesFile,
      log,
    });
    log(formatJsonTurns(summary));
    const stages = readStages(stagesFile, JSON_TURN_WARM);
    if (stages) {
      log("the server's part of each turn, ms (p50 / p90 / p99), from bench/stage-trace.ts:");
      console.table([stagesRow(stages)]);
    }
    const report = {
      at: new Date().toISOString(),
      machine: machineInfo(),
      ...summary,
      ...(stages ? { stagesMs: stages } : {}),
    };
    log(`wrote ${writeBenchResult('json-turn', report, report.at)}`);
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    cleanUp();
  }
}

if (import.meta.main) await main();
