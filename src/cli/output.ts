import type { Writable } from 'node:stream';

/** Where commands write: human lines by default, one JSON document with `--json`. */
export interface Output {
  line(text: string): void;
  table(rows: Record<string, unknown>[]): void;
  json(value: unknown): void;
  /** A notice for the operator, on stderr in both modes (so `--json` output stays parseable). */
  warn(text: string): void;
  /** Standard output itself, for a command that streams its result (`export`). */
  stream: Writable;
}

export function createOutput(asJson: boolean, stdout: Writable, stderr: Writable): Output {
  const write = (text: string) => {
    stdout.write(text);
  };
  return {
    stream: stdout,
    line(text) {
      if (!asJson) write(`${text}\n`);
    },
    table(rows) {
      if (asJson) return;
      if (rows.length === 0) {
        write('(none)\n');
        return;
      }
      const columns = Object.keys(rows[0] ?? {});
      const widths = columns.map((column) =>
        Math.max(column.length, ...rows.map((row) => String(row[column] ?? '').length)),
      );
      const format = (cells: string[]) =>
        cells
          .map((cell, index) => cell.padEnd(widths[index] ?? 0))
          .join('  ')
          .trimEnd();
      write(`${format(columns)}\n`);
      for (const row of rows) write(`${format(columns.map((column) => String(row[column] ?? '')))}\n`);
    },
    json(value) {
      if (asJson) write(`${JSON.stringify(value, null, 2)}\n`);
    },
    warn(text) {
      stderr.write(`${text}\n`);
    },
  };
}
