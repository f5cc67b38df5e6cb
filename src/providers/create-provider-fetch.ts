import { Agent } from 'undici';
import { requestFetch } from './request-fetch.ts';

/** The fetch the AI SDK providers are given (their `fetch` option). */
export type ProviderFetch = typeof globalThis.fetch;

export interface ProviderFetchOptions {
  connectTimeoutMs: number;
  /**
   * Multiplex calls over HTTP/2: cleartext HTTP/2 with prior knowledge (h2c) to `http://` origins,
   * and HTTP/2 offered first in ALPN to `https://` ones. Many concurrent streamed calls then share a
   * few connections (up to `H2_STREAMS_PER_CONNECTION` each) instead of holding one socket apiece.
   */
  http2?: boolean;
}

/** Concurrent calls per HTTP/2 connection; more calls open another connection to the same origin. */
export const H2_STREAMS_PER_CONNECTION = 100;

/**
 * A fetch for provider calls whose TCP (and TLS) connect is bounded by `connectTimeoutMs`, apart
 * from the call's total deadline: a provider host that does not answer fails fast (a connect
 * timeout is retried like any connection error) instead of using up the whole deadline.
 * undici's own header and body timeouts are off: the guard's deadline (PROVIDER_TIMEOUT_MS) bounds
 * the call, and a model may think in silence for longer than undici's 300 s default.
 */
export function createProviderFetch(options: ProviderFetchOptions): ProviderFetch {
  const dispatcher = new Agent({
    headersTimeout: 0,
    bodyTimeout: 0,
    ...(options.http2
      ? {
          // undici's Pool reads `useH2c` from the top level (not from h2Options) when it builds the connector.
          allowH2: true,
          useH2c: true,
          pipelining: H2_STREAMS_PER_CONNECTION,
          h2Options: { maxConcurrentStreams: H2_STREAMS_PER_CONNECTION },
          connect: { timeout: options.connectTimeoutMs, preferH2: true },
        }
      : { connect: { timeout: options.connectTimeoutMs } }),
  });
  // undici's request under a fetch interface: the providers' calls cost less than through fetch.
  return requestFetch(dispatcher);
}
