import { writeFile } from 'node:fs/promises';
import type { Config } from '../../config/config-schema.ts';
import { createEnclave } from '../../server.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `enclave openapi [--out FILE]`: the OpenAPI document the server serves at /openapi.json, built
 * from the real app on an in-memory database (no database, Redis, listener or exporter is touched).
 */
export async function openapiCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const file = args.options.out;
  if (file === '') throw new UsageError('--out needs a file name');
  const enclave = await createEnclave(
    {
      ...config,
      databaseUrl: 'sqlite::memory:',
      databaseMigrationUrl: undefined,
      redisUrl: undefined,
      metricsPort: undefined,
      otelExporterOtlpEndpoint: undefined,
    },
    { logger: false },
  );
  try {
    await enclave.app.ready();
    const document = `${JSON.stringify(enclave.app.swagger(), null, 2)}\n`;
    if (file) {
      await writeFile(file, document);
      out.line(`Wrote the OpenAPI document to ${file}`);
    } else out.stream.write(document);
  } finally {
    await enclave.close();
  }
}
