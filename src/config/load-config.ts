import { type Config, configSchema, ENV_KEYS, isLoopbackHost } from './config-schema.ts';
import { resolvePlatformMcpServers } from './platform-mcp-settings.ts';
import { resolveProviderCredentials } from './provider-settings.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type ConfigKey = keyof typeof ENV_KEYS;

/** `PORT` -> `--port`, `DATABASE_URL` -> `--database-url`. */
export function flagFor(key: ConfigKey): string {
  return `--${ENV_KEYS[key].toLowerCase().replaceAll('_', '-')}`;
}

/**
 * Parses flags (`--port 9000` or `--port=9000`) into config keys. Flags win over env.
 * Unknown flags are an error, so a typo never silently falls back to a default.
 */
function parseFlags(argv: readonly string[]): Partial<Record<ConfigKey, string>> {
  const byFlag = new Map((Object.keys(ENV_KEYS) as ConfigKey[]).map((key) => [flagFor(key), key]));
  const values: Partial<Record<ConfigKey, string>> = {};
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    const [flag = '', inline] = argument.split(/=(.*)/s, 2);
    const key = byFlag.get(flag);
    if (!key) throw new ConfigError(`Unknown option ${flag}. Known options: ${[...byFlag.keys()].join(', ')}`);
    const value = inline ?? argv[++index];
    if (value === undefined) throw new ConfigError(`Option ${flag} needs a value`);
    values[key] = value;
  }
  return values;
}

/**
 * The only reader of `process.env`: call it once at boot with the environment and CLI flags.
 * Fails fast, naming every bad variable and the flag that sets it. Empty strings count as unset.
 */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = []): Config {
  const flags = parseFlags(argv);
  const raw: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV_KEYS) as [ConfigKey, string][]) {
    const value = flags[key] ?? env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as ConfigKey;
      return `  ${ENV_KEYS[key]} (${flagFor(key)}): ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.auth === 'disabled' && !isLoopbackHost(config.host) && !config.allowUnauthenticated) {
    throw new ConfigError(
      `Invalid configuration:\n  ENCLAVE_AUTH (--enclave-auth): authentication is disabled on the non-loopback address ${config.host}; anyone who reaches it can act as any tenant. Set ENCLAVE_ALLOW_UNAUTHENTICATED=true to accept that, or keep ENCLAVE_AUTH=required.`,
    );
  }
  if (config.jwtSecret && config.jwtJwksUrl) {
    throw new ConfigError('Invalid configuration:\n  ENCLAVE_JWT_SECRET / ENCLAVE_JWT_JWKS_URL: set one, not both');
  }
  if (config.metricsPort !== undefined && config.metricsPort === config.port) {
    throw new ConfigError(
      'Invalid configuration:\n  METRICS_PORT (--metrics-port): must differ from PORT; the metrics-only listener is a second listener',
    );
  }
  if (config.providers && config.providersFile) {
    throw new ConfigError('Invalid configuration:\n  ENCLAVE_PROVIDERS / ENCLAVE_PROVIDERS_FILE: set one, not both');
  }
  const platform = resolveProviderCredentials(config.providers ?? config.providersFile ?? [], env);
  if (platform.problems.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n${platform.problems.map((problem) => `  ENCLAVE_PROVIDERS: ${problem}`).join('\n')}`,
    );
  }
  const mcp = resolvePlatformMcpServers(config.platformMcpServers ?? [], env);
  if (mcp.problems.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n${mcp.problems.map((problem) => `  ENCLAVE_PLATFORM_MCP_SERVERS: ${problem}`).join('\n')}`,
    );
  }
  return Object.freeze({
    ...config,
    providers: platform.providers,
    providersFile: undefined,
    platformMcpServers: mcp.servers,
  });
}
