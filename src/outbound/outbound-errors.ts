import { AppError } from '../core/errors.ts';
import type { OutboundBlockReason } from './special-ranges.ts';

/** Where a refused outbound request was going (for logs: `address` and `range` of a name stay out of the message). */
export interface OutboundBlockDetails {
  readonly reason: OutboundBlockReason;
  /** The URL's host (name or literal), without brackets. */
  readonly host: string;
  readonly port: number;
  /** The resolved address that was refused, when the refusal came from one. */
  readonly address?: string;
  /** The special range, e.g. `10.0.0.0/8` or `169.254.169.254/32 in ::ffff:0:0/96`. */
  readonly range?: string;
  /** True when the refused URL came from a redirect (`Location`), not from the caller. */
  readonly redirect: boolean;
}

/**
 * `OUTBOUND_BLOCKED`: the SSRF guard refused a URL or the address it resolved to. Nothing was sent
 * to that address; the connection was never opened.
 */
export class OutboundBlockedError extends AppError {
  override name = 'OutboundBlockedError';
  readonly reason: OutboundBlockReason;

  constructor(details: OutboundBlockDetails) {
    super('OUTBOUND_BLOCKED', blockMessage(details), { details });
    this.reason = details.reason;
  }
}

/**
 * The message the tenant may see. For a host name it says which kind of address the name resolves
 * to, never the address or its range: the tenant must not learn the server's internal DNS through
 * it (`details` keeps both, for the server's logs).
 */
function blockMessage(details: OutboundBlockDetails): string {
  const lead = details.redirect ? 'Redirect to' : 'Outbound request to';
  if (details.reason === 'scheme') return `${lead} a ${details.host} URL refused: only http and https are allowed.`;
  const host = details.host.includes(':') ? `[${details.host}]` : details.host;
  const literal = details.address === undefined || details.address === details.host;
  const what = literal
    ? `a ${details.reason} address${details.range ? ` (${details.range})` : ''}`
    : `the name resolves to a ${details.reason} address`;
  return `${lead} ${host}:${details.port} refused: ${what}. The operator can allow it with ENCLAVE_OUTBOUND_ALLOW.`;
}

/** `OUTBOUND_TOO_MANY_REDIRECTS`: more redirects than `maxRedirects` in one request. */
export class OutboundTooManyRedirectsError extends AppError {
  override name = 'OutboundTooManyRedirectsError';
  constructor(url: string, maxRedirects: number) {
    super('OUTBOUND_TOO_MANY_REDIRECTS', `More than ${maxRedirects} redirects, starting at ${url}`, {
      details: { maxRedirects },
    });
  }
}

/** `OUTBOUND_RESPONSE_TOO_LARGE`: the response body (decoded) is longer than `maxResponseBytes`. */
export class OutboundResponseTooLargeError extends AppError {
  override name = 'OutboundResponseTooLargeError';
  constructor(url: string, maxResponseBytes: number) {
    super('OUTBOUND_RESPONSE_TOO_LARGE', `The response from ${url} is larger than ${maxResponseBytes} bytes`, {
      details: { maxResponseBytes },
    });
  }
}

/** `OUTBOUND_TIMEOUT`: no response headers within `timeoutMs`. */
export class OutboundTimeoutError extends AppError {
  override name = 'OutboundTimeoutError';
  constructor(url: string, timeoutMs: number) {
    super('OUTBOUND_TIMEOUT', `No response from ${url} within ${timeoutMs} ms`, { details: { timeoutMs } });
  }
}
