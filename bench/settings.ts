/** What one bench run measures and for how long, from the environment. */
export interface BenchSettings {
  quick: boolean;
  /** Seconds of measured load per scenario (and per history-growth point). */
  durationSeconds: number;
  /** Seconds of unmeasured load after each server start, so the JIT is warm. */
  warmupSeconds: number;
  connections: number;
  /** History lengths, in messages, at which interact on one tenant is measured. The first is 0. */
  growthPoints: number[];
  /** Messages in the tenant whose history page is read. */
  historyMessages: number;
  historyPageLimit: number;
  /** Fresh tenants created in the memory scenario (RSS at idle, then after this many). */
  memoryTenants: number;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

export function loadSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const durationSeconds = positiveNumber(env, 'BENCH_DURATION', quick ? 2 : 10);
  return {
    quick,
    durationSeconds,
    warmupSeconds: positiveNumber(env, 'BENCH_WARMUP', quick ? 1 : 3),
    connections: Math.round(positiveNumber(env, 'BENCH_CONNECTIONS', 50)),
    growthPoints: quick ? [0, 1_000, 5_000] : [0, 1_000, 10_000, 100_000],
    historyMessages: quick ? 20_000 : 1_000_000,
    historyPageLimit: 100,
    memoryTenants: Math.round(positiveNumber(env, 'BENCH_MEMORY_TENANTS', quick ? 5_000 : 100_000)),
  };
}

/** 1000 → "1k", 1000000 → "1M". */
export function countLabel(count: number): string {
  if (count >= 1_000_000 && count % 1_000_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1_000 && count % 1_000 === 0) return `${count / 1_000}k`;
  return String(count);
}
