import { Agent, fetch as undiciFetch } from 'undici';

/** The fetch the AI SDK providers are given (their `fetch` option). */
export type ProviderFetch = typeof globalThis.fetch;

/**
 * A fetch for provider calls whose TCP (and TLS) connect is bounded by `connectTimeoutMs`, apart
 * from the call's total deadline: a provider host that does not answer fails fast (a connect
 * timeout is retried like any connection error) instead of using up the whole deadline.
 * undici's own header and body timeouts are off: the guard's deadline (PROVIDER_TIMEOUT_MS) bounds
 * the call, and a model may think in silence for longer than undici's 300 s default.
 */
export function createProviderFetch(options: { connectTimeoutMs: number }): ProviderFetch {
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  // undici's fetch is the implementation behind Node's global fetch; its types are its own.
  return ((input, init) => undiciFetch(input as never, { ...init, dispatcher } as never)) as ProviderFetch;
}
