import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import { AppError } from '../../core/errors.ts';

/**
 * DNS-rebinding protection for `/mcp` (the MCP transport spec's Host/Origin rule), with the SDK's
 * validators: with a host list, Host must name one of them and a present Origin too; without one
 * (a public bind behind a load balancer, whose names Enclave does not know), a present Origin must
 * name the same host as Host. Throws HOST_NOT_ALLOWED.
 */
export function checkMcpHost(
  headers: { host?: string | undefined; origin?: string | undefined },
  hostnames: readonly string[] | null,
): void {
  if (hostnames !== null) {
    const host = validateHostHeader(headers.host, [...hostnames]);
    if (!host.ok) throw new AppError('HOST_NOT_ALLOWED', `Host: ${host.message}`);
    // Origins are checked by hostname too (any scheme and port), against the same list.
    const origin = validateOriginHeader(headers.origin, [...hostnames]);
    if (!origin.ok) throw new AppError('HOST_NOT_ALLOWED', `Origin: ${origin.message}`);
    return;
  }
  if (!headers.origin) return;
  const own = validateHostHeader(headers.host, [hostnameOf(headers.host)]);
  const origin = validateOriginHeader(headers.origin, own.ok ? [own.hostname] : []);
  if (!origin.ok) throw new AppError('HOST_NOT_ALLOWED', `Origin: ${origin.message}`);
}

/** The hostname of a Host header value (`name:port`, `[v6]:port`), lowercased; '' when absent. */
function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1).toLowerCase();
  return (host.split(':')[0] ?? '').toLowerCase();
}
