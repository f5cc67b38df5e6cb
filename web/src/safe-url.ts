/**
 * A URL the console may open or link to: http(s) only. An authorization URL comes from an MCP
 * server's authorization metadata (a server the tenant chose), so a `javascript:` or `data:` URL
 * must never reach `window.open` or an `href`.
 */
export function httpUrlOrNull(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}
