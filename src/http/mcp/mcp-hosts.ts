import { isLoopbackHost } from '../../config/config-schema.ts';

/** The names a loopback server answers to (the SDK's `localhostAllowedHostnames()`). */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** The hostnames `/mcp` answers to: the operator's list, the loopback names on a loopback bind, else any. */
export function mcpHostnames(config: { host?: string; mcpAllowedHosts?: readonly string[] }): string[] | null {
  if (config.mcpAllowedHosts && config.mcpAllowedHosts.length > 0) return [...config.mcpAllowedHosts];
  if (config.host !== undefined && isLoopbackHost(config.host)) return [...LOOPBACK_HOSTNAMES];
  return null;
}
