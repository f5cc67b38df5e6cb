import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one CLI command line in this process (the code the binary runs, below the process
 * boundary: a spawned Node process per command made these suites take minutes on a busy machine).
 * `env` is the whole environment the command sees.
 */
export async function runCliInProcess(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<CliRun> {
  const collected = { stdout: '', stderr: '' };
  const sink = (stream: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        collected[stream] += String(chunk);
        callback();
      },
    });
  const code = await runCli(args, { env, stdout: sink('stdout'), stderr: sink('stderr') });
  if (code === null) throw new Error(`enclave ${args.join(' ')} kept running; tests run no server in process`);
  return { code, ...collected };
}

/**
 * The CLI against one database, run in process: `enclave(...args)`, and `enclaveJson(...args)`,
 * which adds `--json`, expects exit code 0 and parses stdout. `databaseUrl` is read at each call,
 * so a suite can set it in `beforeAll`; `env` adds settings (ENCLAVE_MASTER_KEY, …).
 */
export function cliAgainst(databaseUrl: () => string, env: Record<string, string> = {}) {
  const enclave = (...args: string[]): Promise<CliRun> =>
    runCliInProcess(args, { ...process.env, ...env, DATABASE_URL: databaseUrl(), LOG_LEVEL: 'silent' });
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI JSON output, asserted field by field.
  const enclaveJson = async (...args: string[]): Promise<any> => {
    const result = await enclave(...args, '--json');
    if (result.code !== 0) throw new Error(`enclave ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  return { enclave, enclaveJson };
}
