/**
 * What a server process costs, read from /proc (Linux) without touching the server: CPU time
 * (user + system) and resident memory. Null where /proc is not there.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time the process has used so far, in microseconds (10 ms resolution). */
export function cpuMicros(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1_000_000) / TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/** Resident set size in bytes. */
export function rssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Runs `work` and returns its result with the server's CPU microseconds per response over it. */
export async function withCpuPerResponse<T extends { responses: number }>(
  pid: number | undefined,
  work: () => Promise<T>,
): Promise<{ load: T; cpuMicrosPerResponse: number | null }> {
  const before = cpuMicros(pid);
  const load = await work();
  const after = cpuMicros(pid);
  const cpuMicrosPerResponse =
    before === null || after === null || load.responses === 0 ? null : Math.round((after - before) / load.responses);
  return { load, cpuMicrosPerResponse };
}
