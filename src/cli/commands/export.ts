import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Config } from '../../config/config-schema.ts';
import type { Storage } from '../../core/ports.ts';
import { tenantIdArg } from '../cli-args.ts';
import { auditCli, requireTenant, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { UsageError } from '../usage-error.ts';

/** Columns never exported: a key's hash is a credential lookup value, of no use to the data's owner. */
const OMITTED: Record<string, readonly string[]> = { api_keys: ['hash'] };

const jsonValue = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : String(value)) : value;

type Counts = Record<string, number>;

/** Writes the export as NDJSON, honouring backpressure, counting rows per table into `counts`. */
async function writeExport(storage: Storage, tenantId: string, sink: Writable, counts: Counts): Promise<void> {
  // A failed write (a full disk, a closed pipe) surfaces as an 'error' event: stop at the next row.
  let failure: Error | null = null;
  const onError = (error: Error) => {
    failure = error;
  };
  sink.on('error', onError);
  try {
    for await (const { table, row } of storage.exportTenant(tenantId)) {
      if (failure) throw failure;
      const exported = { ...row };
      for (const column of OMITTED[table] ?? []) delete exported[column];
      counts[table] = (counts[table] ?? 0) + 1;
      if (!sink.write(`${JSON.stringify({ table, row: exported }, jsonValue)}\n`)) await once(sink, 'drain');
    }
    if (failure) throw failure;
  } finally {
    sink.off('error', onError);
  }
}

/** Streams to `file` through a temporary sibling, renamed only once complete (never a truncated export). */
async function exportToFile(storage: Storage, tenantId: string, file: string, counts: Counts): Promise<void> {
  const partial = `${file}.partial`;
  const sink = createWriteStream(partial, { mode: 0o600 });
  try {
    await once(sink, 'open');
    await writeExport(storage, tenantId, sink, counts);
    sink.end();
    await once(sink, 'close');
    await rename(partial, file);
  } catch (error) {
    sink.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}

/** `enclave export <tenant> [--out FILE]`: every row the tenant owns as NDJSON `{"table", "row"}` lines. */
export async function exportCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const tenantId = tenantIdArg(args.positionals[1], 'export');
  const file = args.options.out;
  if (file === '') throw new UsageError('--out needs a file name');
  await withStorage(config, async ({ storage }) => {
    await requireTenant(storage, tenantId);
    const counts: Counts = {};
    let complete = true;
    if (file) await exportToFile(storage, tenantId, file, counts);
    else {
      await writeExport(storage, tenantId, out.stream, counts).catch((error: unknown) => {
        // The reader went away (`enclave export t | head`): stop quietly, but still record what left.
        if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
        complete = false;
      });
    }
    const rows = Object.values(counts).reduce((sum, count) => sum + count, 0);
    await auditCli(storage, {
      tenantId,
      action: 'tenant.export',
      target: tenantId,
      details: { destination: file ? 'file' : 'stdout', rows, complete },
    });
    if (!file) return;
    out.line(`Exported ${rows} rows of tenant ${tenantId} to ${file}`);
    out.table(Object.entries(counts).map(([table, count]) => ({ table, rows: count })));
    out.json({ tenant_id: tenantId, file, rows: counts });
  });
}
