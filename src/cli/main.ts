#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { isAppError } from '../core/errors.ts';
import { DatabaseSetupError } from '../storage/postgres/roles.ts';
import { adminKeysCommand } from './commands/admin-keys.ts';
import { agentsCommand } from './commands/agents.ts';
import { dbCommand } from './commands/db.ts';
import { eraseUserCommand } from './commands/erase-user.ts';
import { exportCommand } from './commands/export.ts';
import { historyCommand } from './commands/history.ts';
import { keysCommand } from './commands/keys.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serveCommand } from './commands/serve.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { tenantsCommand } from './commands/tenants.ts';
import { usageCommand } from './commands/usage.ts';
import { createOutput } from './output.ts';
import { parseArgs } from './parse-args.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `Usage: enclave <command> [options]

Commands:
  serve                          Start the HTTP server (default command)
  migrate                        Apply pending database migrations (PostgreSQL: as DATABASE_MIGRATION_URL)
  db init --superuser-url URL    PostgreSQL: create the owner role (DATABASE_MIGRATION_URL) and the
                                 runtime role (DATABASE_URL) with their grants; run once as a superuser
  tenants list                   List tenants
  tenants create <id> [--name N] Create a tenant
  tenants delete <id> --yes      Delete a tenant and everything it owns
  tenants suspend <id>           Refuse the tenant's requests (403 TENANT_SUSPENDED) until resumed
  tenants resume <id>            Serve a suspended tenant again
  sessions list --tenant <id>    List a tenant's sessions
  history <tenant> [--limit N] [--before CURSOR]
                                 Show a tenant's legacy interaction history
  keys create --tenant <id> [--name N] [--scopes chat,history:read] [--expires 2027-01-01T00:00:00Z]
                                 Create an API key (printed once; default: all scopes, no expiry)
                                 Scopes: chat, history:read, config:write, keys:manage
  keys list --tenant <id>        List a tenant's API keys (never the key itself)
  keys revoke <key-id> --tenant <id>
                                 Revoke an API key (it fails with 401 from then on)
  agents list --tenant <id>      List a tenant's agents (the default agent included)
  agents create [<id>] --tenant <id> [--name N] [--description D] [--config JSON]
                                 Create an agent; --config takes snake_case fields, e.g.
                                 '{"system_prompt":"Be brief.","model":{"provider":"simulated","id":"simulated-1"}}'
  agents show <id> --tenant <id> Show an agent and its current config
  agents update <id> --tenant <id> [--name N] [--description D] [--config JSON]
                                 Change an agent (a config change stores a new version)
  agents versions <id> --tenant <id>
                                 List an agent's config versions, newest first
  agents restore <id> <version> --tenant <id>
                                 Make an earlier version current again, as a new version
  agents delete <id> --tenant <id> --yes [--cascade]
                                 Delete an agent; refused while sessions use it unless --cascade
  admin-key create [--name N]    Create a platform admin key (printed once)
  admin-key list                 List admin keys
  admin-key revoke <id>          Revoke an admin key
  usage --tenant <id> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by day|model|day,model]
                                 Summed token usage (default: the last 30 days through today UTC, by day)
  export <tenant> [--out FILE]   Every row the tenant owns as NDJSON {"table","row"} lines (stdout by default)
  erase-user <tenant> <user-id> --yes
                                 Delete one end user's sessions, messages and usage records

  Administrative actions are recorded in the audit log with actor "cli".

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
    case 'db':
      await dbCommand(config, args, out);
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
    case 'keys':
      await keysCommand(config, args, out);
      return 0;
    case 'agents':
      await agentsCommand(config, args, out);
      return 0;
    case 'admin-key':
      await adminKeysCommand(config, args, out);
      return 0;
    case 'usage':
      await usageCommand(config, args, out);
      return 0;
    case 'export':
      await exportCommand(config, args, out);
      return 0;
    case 'erase-user':
      await eraseUserCommand(config, args, out);
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
    } else if (error instanceof ConfigError || error instanceof DatabaseSetupError || isAppError(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
