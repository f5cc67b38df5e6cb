import type { Config } from './config-schema.ts';

/**
 * The URL clients reach this server at, without a trailing slash: `ENCLAVE_PUBLIC_URL`, or
 * `http://HOST:PORT` (an IPv6 host in brackets), which is right only for local use.
 */
export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return (config.publicUrl ?? `http://${host}:${config.port}`).replace(/\/$/, '');
}

/**
 * The OAuth redirect URI of tenant MCP servers (`GET /v1/mcp-servers/oauth/callback`). The server
 * and `enclave mcp-servers oauth-authorize` both register this one, so the browser always comes
 * back to the running server, whoever started the authorization (docs/tools-oauth.md).
 */
export function mcpOAuthRedirectUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  return `${publicBaseUrl(config)}/v1/mcp-servers/oauth/callback`;
}
