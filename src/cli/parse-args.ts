import { parseArgs as parseCommandLine } from 'node:util';

/**
 * Options every command understands (besides the config flags, which go to `loadConfig`). A new
 * command option is one line here; its command reads it from `options` (strings) or `flags` (switches).
 */
const COMMAND_OPTIONS = {
  yes: { type: 'boolean' },
  cascade: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  limit: { type: 'string' },
  tenant: { type: 'string' },
  user: { type: 'string' },
  before: { type: 'string' },
  scopes: { type: 'string' },
  expires: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  by: { type: 'string' },
  out: { type: 'string' },
  'superuser-url': { type: 'string' },
  description: { type: 'string' },
  config: { type: 'string' },
} as const;

type CommandOption = keyof typeof COMMAND_OPTIONS;

export interface ParsedArgs {
  positionals: string[];
  /** `--name value` style command options. */
  options: Record<string, string>;
  /** `--yes` style switches, as written with their dashes (`-h` counts as `--help`). */
  flags: Set<string>;
  /** Everything else, handed to `loadConfig` (e.g. `--port 9000`), which rejects unknown names. */
  configArgs: string[];
}

const isCommandOption = (name: string): name is CommandOption => Object.hasOwn(COMMAND_OPTIONS, name);

/**
 * Splits argv with `node:util` `parseArgs`. Config flags are not declared here (their names live
 * in the config schema, which this must not load for `--help`), so an unknown option takes the
 * next argument as its value, as every config flag needs one.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const { tokens } = parseCommandLine({
    args: [...argv],
    options: COMMAND_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const parsed: ParsedArgs = { positionals: [], options: {}, flags: new Set(), configArgs: [] };
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (!token || token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      parsed.positionals.push(token.value);
      continue;
    }
    // A single-dash word other than -h (`-bad`) is an argument, as before: the command rejects it
    // by name. parseArgs would read it as a group of short options, one token per letter.
    if (!token.rawName.startsWith('--') && token.name !== 'help') {
      parsed.positionals.push(argv[token.index] ?? '');
      while (tokens[index + 1]?.index === token.index) index++;
      continue;
    }
    if (isCommandOption(token.name)) {
      if (COMMAND_OPTIONS[token.name].type === 'boolean') parsed.flags.add(`--${token.name}`);
      else parsed.options[token.name] = token.value ?? '';
      continue;
    }
    if (token.inlineValue) {
      parsed.configArgs.push(`${token.rawName}=${token.value}`);
      continue;
    }
    parsed.configArgs.push(token.rawName);
    const next = tokens[index + 1];
    if (next?.kind === 'positional') {
      parsed.configArgs.push(next.value);
      index++;
    }
  }
  return parsed;
}
