/**
 * Only the memory part of the SSE bench (scenario 7 of `npm run bench`), short enough to repeat:
 * `node bench/sse-memory.ts`. The same server, provider, clients and measure as
 * `bench/sse-concurrency.ts` (VmRSS with all streams open minus before, per open stream), without
 * the N streams straight to the provider, with a short warm-up (20 streams one at a time, so the
 * first stream's one-off costs are in "before") and shorter streams (opened at 250/s, 15 chunks 2 s
 * apart, 30 s: all stay open through the readings even when a loaded machine delays first bytes by seconds; 2,000 streams take about 45 s). It also reads RSS right after a full GC in the server
 * (through its inspector) before the streams, at half open and at all open: see `SseConcurrencySummary.settled`.
 * Env: BENCH_SSE_STREAMS (default 2,000), BENCH_SSE_HEAP_SNAPSHOT=<dir> (two heap snapshots of the
 * server, before and with all streams open; that run's memory figures are not comparable).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchScratch } from './child-server.ts';
import { measureSseConcurrency, type SseSettings } from './sse-concurrency.ts';

const streams = Number(process.env.BENCH_SSE_STREAMS ?? 2_000);
const snapshotDir = process.env.BENCH_SSE_HEAP_SNAPSHOT ? resolve(process.env.BENCH_SSE_HEAP_SNAPSHOT) : undefined;
if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
const settings: SseSettings = {
  streams: Number.isInteger(streams) && streams > 0 ? streams : 2_000,
  ratePerSecond: 250,
  chunks: 15,
  chunkIntervalMs: 2_000,
  sequential: 10,
  clientProcesses: 2,
  direct: false,
  marginal: true,
  ...(snapshotDir ? { heapSnapshotDir: snapshotDir } : {}),
};
const { dir: tempDir, cleanUp } = benchScratch('enclave-sse-memory-');
const log = (line: string) => process.stderr.write(`[sse-memory] ${line}\n`);
try {
  const summary = await measureSseConcurrency(settings, join(tempDir, 'sse.db'), log);
  const kib = (bytes: number) => Math.round(bytes / 1024);
  const perStream = (pair: { before: number; peak: number }) =>
    summary.peakOpenStreams > 0 ? kib((pair.peak - pair.before) / summary.peakOpenStreams) : 0;
  process.stdout.write(
    `${JSON.stringify(
      {
        streams: summary.peakOpenStreams,
        completed: summary.concurrent.enclave.completed,
        failed: summary.concurrent.enclave.failed,
        errors: summary.concurrent.enclave.errors,
        rssMiB: {
          before: Math.round(summary.rssBytes.before / 2 ** 20),
          peak: Math.round(summary.rssBytes.peak / 2 ** 20),
        },
        perStreamKiB: {
          rss: kib(summary.memoryPerStreamBytes),
          heapUsed: perStream(summary.heapUsedBytes),
          external: perStream(summary.externalBytes),
        },
        settledMiB: {
          before: Math.round(summary.settled.before.rss / 2 ** 20),
          half: Math.round(summary.settled.half.rss / 2 ** 20),
          peak: Math.round(summary.settled.peak.rss / 2 ** 20),
        },
        settledPerStreamKiB: {
          rss: kib(summary.settled.perStreamBytes.rss),
          heapUsed: kib(summary.settled.perStreamBytes.heapUsed),
        },
        marginalPerStreamKiB: {
          rss: kib(summary.settled.marginalPerStreamBytes.rss),
          heapUsed: kib(summary.settled.marginalPerStreamBytes.heapUsed),
        },
        ttfbMs: summary.concurrent.enclave.ttfbMs,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  cleanUp();
}
