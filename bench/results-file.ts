import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './child-server.ts';

/** Writes `report` to bench/results/<name>-<timestamp>.json and returns the file's path. */
export function writeBenchResult(name: string, report: object, at = new Date().toISOString()): string {
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
