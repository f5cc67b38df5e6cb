#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { isAppError } from '../core/errors.ts';
import { historyCommand } from './commands/history.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serveCommand } from './commands/serve.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { tenantsCommand } from './commands/tenants.ts';
import { createOutput } from './output.ts';
import { parseArgs } from './parse-args.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `Usage: enclave <command> [options]

Commands:
  serve                          Start the HTTP server (default command)
  migrate                        Apply pending database migrations
  tenants list                   List tenants
  tenants create <id> [--name N] Create a tenant
  tenants delete <id> --yes      Delete a tenant and everything it owns
  sessions list --tenant <id>    List a tenant's sessions
  history <tenant> [--limit N] [--before CURSOR]
                                 Show a tenant's legacy interaction history

Options:
  --json                         Print machine-readable JSON
  Any config variable as a flag, e.g. --port 9000 --database-url sqlite:./data/x.db (see .env.example)
`;

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const command = args.positionals[0] ?? 'serve';
  if (args.flags.has('--help') || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig(process.env, args.configArgs);
  const out = createOutput(args.flags.has('--json'));
  switch (command) {
    case 'serve':
      await serveCommand(config);
      return -1;
    case 'migrate':
      await migrateCommand(config, out);
      return 0;
    case 'tenants':
      await tenantsCommand(config, args, out);
      return 0;
    case 'sessions':
      await sessionsCommand(config, args, out);
      return 0;
    case 'history':
      await historyCommand(config, args, out);
      return 0;
    default:
      throw new UsageError(`Unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (error instanceof ConfigError || isAppError(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
