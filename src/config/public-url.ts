import type { Config } from './config-schema.ts';

/** Where clients reach this instance: `ENCLAVE_PUBLIC_URL`, else `http://HOST:PORT` (right only for local use). */
export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return (config.publicUrl ?? `http://${host}:${config.port}`).replace(/\/$/, '');
}

/** The OAuth redirect URI of tenant MCP servers: the server and the CLI must send the same one. */
export function mcpOAuthRedirectUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  return `${publicBaseUrl(config)}/v1/mcp-servers/oauth/callback`;
}
