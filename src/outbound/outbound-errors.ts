import { AppError } from '../core/errors.ts';
import type { OutboundBlockReason } from './special-ranges.ts';

/** Where a refused outbound request was going. Safe to show to the tenant: it is their own URL. */
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

function blockMessage(details: OutboundBlockDetails): string {
  const lead = details.redirect ? 'Redirect to' : 'Outbound request to';
  if (details.reason === 'scheme') return `${lead} a ${details.host} URL refused: only http and https are allowed.`;
  const host = details.host.includes(':') ? `[${details.host}]` : details.host;
  const via = details.address && details.address !== details.host ? ` (${details.address})` : '';
  const range = details.range ? ` (${details.range})` : '';
  return `${lead} ${host}:${details.port}${via} refused: a ${details.reason} address${range}. The operator can allow it with ENCLAVE_OUTBOUND_ALLOW.`;
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
