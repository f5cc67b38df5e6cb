import { existsSync, readFileSync } from 'node:fs';
import { type LatencyStats, latencyStats } from './load.ts';

/** The stages `bench/stage-trace.ts` splits a request's time into, in order. */
export const STAGES = ['pre', 'queue', 'wire', 'post'] as const;
export type StageStats = Record<(typeof STAGES)[number], LatencyStats>;

/** Each stage's latency over the traces in `file`, without the first `skip` (the unmeasured ones); null without a file. */
export function readStages(file: string | null, skip: number): StageStats | null {
  if (!file || !existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<(typeof STAGES)[number], number>)
    .slice(skip);
  return Object.fromEntries(
    STAGES.map((stage) => [stage, latencyStats(lines.map((line) => line[stage]))]),
  ) as StageStats;
}

/** One row of `p50 / p90 / p99` per stage, for console.table. */
export const stagesRow = (stages: StageStats): Record<string, string> =>
  Object.fromEntries(
    STAGES.map((stage) => [stage, `${stages[stage].p50} / ${stages[stage].p90} / ${stages[stage].p99}`]),
  );
