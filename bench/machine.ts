import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { ROOT } from './child-server.ts';

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function sqliteVersion(): string {
  const database = new DatabaseSync(':memory:');
  try {
    const row = database.prepare('SELECT sqlite_version() AS version').get() as { version: string };
    return row.version;
  } finally {
    database.close();
  }
}

/** What the numbers were measured on, so runs on different machines are not compared blindly. */
export function machineInfo(): Record<string, unknown> {
  const cores = cpus();
  const status = git(['status', '--porcelain', '--', 'src']);
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${release()} ${process.arch}`,
    node: process.version,
    sqlite: sqliteVersion(),
    commit: git(['rev-parse', '--short', 'HEAD']),
    srcChanged: status === null ? null : status.length > 0,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
