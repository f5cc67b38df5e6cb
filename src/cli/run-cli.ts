import type { Writable } from 'node:stream';
import { CLI_COMMANDS, commandUsage, globalUsage } from './cli-commands.ts';
import { createOutput } from './output.ts';
import { parseArgs } from './parse-args.ts';
import { UsageError } from './usage-error.ts';

export interface CliIo {
  /** The environment the config is read from (`process.env` in the real binary). */
  env: Record<string, string | undefined>;
  stdout: Writable;
  stderr: Writable;
}

/** The process's exit code; `null` when the process keeps running (`serve`). */
export type CliExit = number | null;

/**
 * Runs one command line in this process: the real binary (main.ts) and the CLI tests both call it.
 * Exit codes: 0 done, 1 a refused or failed action (bad config, a missing tenant), 2 a usage error.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<CliExit> {
  let usage = globalUsage();
  try {
    const args = parseArgs(argv);
    const wantsHelp = args.flags.has('--help');
    const name = args.positionals[0] === 'help' ? (args.positionals[1] ?? null) : (args.positionals[0] ?? 'serve');
    if (name === null || (wantsHelp && args.positionals.length === 0)) {
      io.stdout.write(usage);
      return 0;
    }
    const command = Object.hasOwn(CLI_COMMANDS, name) ? CLI_COMMANDS[name] : undefined;
    if (!command) throw new UsageError(`Unknown command: ${name}`);
    usage = commandUsage(command);
    if (wantsHelp || args.positionals[0] === 'help') {
      io.stdout.write(usage);
      return 0;
    }
    // Loaded after the help check: the config schema and the command's module cost real time.
    const [{ loadConfig }, run] = await Promise.all([import('../config/load-config.ts'), command.load()]);
    const config = loadConfig(io.env, args.configArgs);
    await run(config, args, createOutput(args.flags.has('--json'), io.stdout, io.stderr));
    return command.keepsRunning ? null : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n\n${usage}`);
      return 2;
    }
    io.stderr.write(`${await describeFailure(error)}\n`);
    return 1;
  }
}

/** The message alone for expected failures; the stack for anything else (a bug to report). */
async function describeFailure(error: unknown): Promise<string> {
  if (!(error instanceof Error)) return String(error);
  // These modules are loaded already whenever one of their errors was thrown.
  const [{ ConfigError }, { isAppError }, { DatabaseSetupError }] = await Promise.all([
    import('../config/load-config.ts'),
    import('../core/errors.ts'),
    import('../storage/postgres/roles.ts'),
  ]);
  if (error instanceof ConfigError || error instanceof DatabaseSetupError || isAppError(error)) return error.message;
  return error.stack ?? error.message;
}
