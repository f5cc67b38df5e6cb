/** Options every command understands (besides the config flags, which go to `loadConfig`). */
const COMMAND_FLAGS = new Set(['--yes', '--json', '--help', '--cascade']);
const COMMAND_OPTIONS = new Set([
  '--name',
  '--limit',
  '--tenant',
  '--before',
  '--scopes',
  '--expires',
  '--from',
  '--to',
  '--by',
  '--out',
  '--superuser-url',
  '--description',
  '--config',
]);

export interface ParsedArgs {
  positionals: string[];
  /** `--name value` style command options. */
  options: Record<string, string>;
  /** `--yes` style switches. */
  flags: Set<string>;
  /** Everything else, handed to `loadConfig` (e.g. `--port 9000`). */
  configArgs: string[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], options: {}, flags: new Set(), configArgs: [] };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    if (!argument.startsWith('--')) {
      parsed.positionals.push(argument);
      continue;
    }
    const [name = '', inline] = argument.split(/=(.*)/s, 2);
    if (COMMAND_FLAGS.has(name)) parsed.flags.add(name);
    else if (COMMAND_OPTIONS.has(name)) parsed.options[name.slice(2)] = inline ?? argv[++index] ?? '';
    else {
      parsed.configArgs.push(argument);
      if (inline === undefined && argv[index + 1] !== undefined) parsed.configArgs.push(argv[++index] as string);
    }
  }
  return parsed;
}
