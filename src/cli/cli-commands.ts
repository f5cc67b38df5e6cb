import type { Config } from '../config/config-schema.ts';
import type { Output } from './output.ts';
import type { ParsedArgs } from './parse-args.ts';

/** What a command does once its module is loaded. */
export type CommandRun = (config: Config, args: ParsedArgs, out: Output) => Promise<void>;

export interface CliCommand {
  /** One line saying what it does, for `enclave --help`. */
  summary: string;
  /** Its forms and options, for `enclave <command> --help` and its usage errors. */
  usage: string;
  /**
   * Imports the command's module only when it runs: `--help` loads no command, and `tenants list`
   * never loads Fastify, OpenTelemetry or the model SDKs (only `serve` does).
   */
  load: () => Promise<CommandRun>;
  /** `serve`: the process keeps running after `run` resolves, and exits on a signal. */
  keepsRunning?: true;
}

/** Every command, in help order. A new command is one entry here and one file in commands/. */
export const CLI_COMMANDS: Record<string, CliCommand> = {
  serve: {
    summary: 'Start the HTTP server (default command)',
    usage: `enclave serve [config flags]
  Starts the HTTP server. Config comes from the environment (.env.example) or flags such as
  --port 9000 --database-url sqlite:./data/x.db`,
    load: async () => (await import('./commands/serve.ts')).serveCommand,
    keepsRunning: true,
  },
  migrate: {
    summary: 'Apply pending database migrations',
    usage: `enclave migrate [--json]
  Applies pending migrations (PostgreSQL: as DATABASE_MIGRATION_URL, the owner role)`,
    load: async () => {
      const { migrateCommand } = await import('./commands/migrate.ts');
      return (config, _args, out) => migrateCommand(config, out);
    },
  },
  db: {
    summary: 'PostgreSQL: create the owner and runtime roles',
    usage: `enclave db init --superuser-url URL
  Creates the owner role (DATABASE_MIGRATION_URL) and the runtime role (DATABASE_URL) with their
  grants. Run once per database as a superuser; running it again is harmless`,
    load: async () => (await import('./commands/db.ts')).dbCommand,
  },
  tenants: {
    summary: 'List, create, delete, suspend or resume tenants',
    usage: `enclave tenants list [--limit N] [--json]
enclave tenants create <id> [--name N]
enclave tenants delete <id> --yes      Delete a tenant and everything it owns
enclave tenants suspend <id>           Refuse its requests (403 TENANT_SUSPENDED) until resumed
enclave tenants resume <id>            Serve a suspended tenant again`,
    load: async () => (await import('./commands/tenants.ts')).tenantsCommand,
  },
  sessions: {
    summary: "List a tenant's sessions",
    usage: `enclave sessions list --tenant <id> [--limit N] [--json]
  Newest first`,
    load: async () => (await import('./commands/sessions.ts')).sessionsCommand,
  },
  history: {
    summary: "Show a tenant's legacy interaction history",
    usage: `enclave history <tenant> [--limit N] [--before CURSOR] [--json]`,
    load: async () => (await import('./commands/history.ts')).historyCommand,
  },
  keys: {
    summary: "Create, list or revoke a tenant's API keys",
    usage: `enclave keys create --tenant <id> [--name N] [--scopes chat,history:read] [--expires 2027-01-01T00:00:00Z]
  Creates an API key, printed once (default: all scopes, no expiry).
  Scopes: chat, history:read, config:write, keys:manage
enclave keys list --tenant <id>                  Never shows the key itself
enclave keys revoke <key-id> --tenant <id>       It fails with 401 from then on`,
    load: async () => (await import('./commands/keys.ts')).keysCommand,
  },
  agents: {
    summary: "List, create, show, update, version, restore or delete a tenant's agents",
    usage: `enclave agents list --tenant <id>            The default agent included
enclave agents create [<id>] --tenant <id> [--name N] [--description D] [--config JSON]
  --config takes snake_case fields, e.g.
  '{"system_prompt":"Be brief.","model":{"provider":"simulated","id":"simulated-1"}}'
enclave agents show <id> --tenant <id>        An agent and its current config
enclave agents update <id> --tenant <id> [--name N] [--description D] [--config JSON]
  A config change stores a new version
enclave agents versions <id> --tenant <id>    Its config versions, newest first
enclave agents restore <id> <version> --tenant <id>
  Makes an earlier version current again, as a new version
enclave agents delete <id> --tenant <id> --yes [--cascade]
  Refused while sessions use it, unless --cascade (which deletes them too)`,
    load: async () => (await import('./commands/agents.ts')).agentsCommand,
  },
  'mcp-servers': {
    summary: "List, register, show, update or delete a tenant's MCP servers (tools for its agents); their OAuth grants",
    usage: `enclave mcp-servers list --tenant <id>
enclave mcp-servers create --tenant <id> --config JSON
  --config takes snake_case fields as over HTTP, e.g.
  '{"name":"github","url":"https://mcp.example.com/mcp","auth":{"type":"headers","headers":{"Authorization":"Bearer {{secret:github.token}}"}}}'
enclave mcp-servers show <id> --tenant <id>
enclave mcp-servers update <id> --tenant <id> --config JSON   Each given field replaces the current one
enclave mcp-servers delete <id> --tenant <id> --yes          Its users' credentials go too
enclave mcp-servers oauth-authorize <id> --tenant <id> [--user <id>]
  Starts the authorization-code grant (PKCE): prints the URL to open and until when it works; the browser
  comes back to the running server's <ENCLAVE_PUBLIC_URL>/v1/mcp-servers/oauth/callback, which stores the grant.
  --user: the end user of a per-user server. Discovery and registration go through ENCLAVE_OUTBOUND_*
enclave mcp-servers oauth-status <id> --tenant <id> [--user <id>]   Whether a grant is stored (never the token)
enclave mcp-servers oauth-revoke <id> --tenant <id> [--user <id>]   Deletes the grant; idempotent`,
    load: async () => (await import('./commands/mcp-servers.ts')).mcpServersCommand,
  },
  'platform-mcp-servers': {
    summary: "List the operator's platform MCP servers (ENCLAVE_PLATFORM_MCP_SERVERS) and their tools",
    usage: `enclave platform-mcp-servers list          As declared: name, transport, tool allowlist
enclave platform-mcp-servers tools <name>  Its tools, listed live (a stdio server runs for the listing);
  enable one in an agent's tools as <name>__<tool>, or all as <name>__*`,
    load: async () => (await import('./commands/platform-mcp-servers.ts')).platformMcpServersCommand,
  },
  'admin-key': {
    summary: 'Create, list or revoke platform admin keys',
    usage: `enclave admin-key create [--name N]      Printed once
enclave admin-key list
enclave admin-key revoke <id>`,
    load: async () => (await import('./commands/admin-keys.ts')).adminKeysCommand,
  },
  usage: {
    summary: 'Summed token usage of a tenant',
    usage: `enclave usage --tenant <id> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by day|model|day,model]
  Default: the last 30 days through today (UTC), by day`,
    load: async () => (await import('./commands/usage.ts')).usageCommand,
  },
  export: {
    summary: 'Every row a tenant owns, as NDJSON',
    usage: `enclave export <tenant> [--out FILE]
  {"table","row"} lines, to stdout by default`,
    load: async () => (await import('./commands/export.ts')).exportCommand,
  },
  openapi: {
    summary: 'Write the OpenAPI document the server serves at /openapi.json',
    usage: `enclave openapi [--out FILE]
  Built from the app itself on an in-memory database; to stdout by default`,
    load: async () => (await import('./commands/openapi.ts')).openapiCommand,
  },
  'erase-user': {
    summary: "Delete one end user's sessions, messages and usage records",
    usage: `enclave erase-user <tenant> <user-id> --yes`,
    load: async () => (await import('./commands/erase-user.ts')).eraseUserCommand,
  },
};

/** `enclave --help`. */
export function globalUsage(): string {
  const names = Object.keys(CLI_COMMANDS);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const lines = Object.entries(CLI_COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`);
  return `Usage: enclave <command> [options]

Commands:
${lines.join('\n')}

  Administrative actions are recorded in the audit log with actor "cli".

Options:
  --help, -h   Show help (enclave <command> --help for one command)
  --json       Print machine-readable JSON
  Any config variable as a flag, e.g. --port 9000 --database-url sqlite:./data/x.db (see .env.example)
`;
}

/** `enclave <command> --help`, and what a usage error in that command prints. */
export function commandUsage(command: CliCommand): string {
  return `Usage:
${command.usage.replace(/^/gm, '  ')}

  --json prints machine-readable JSON; any config variable is also a flag (enclave --help).
`;
}
