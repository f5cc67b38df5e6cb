import { APICallError } from 'ai';

/** Longest piece of a provider's error body that is logged (characters). */
export const PROVIDER_BODY_LOG_CHARS = 1_000;

/** What a provider answered to a failed call, as the turn's failure log line carries it. */
export interface ProviderResponseLog {
  status: number | null;
  /** The provider's response body, cut to `PROVIDER_BODY_LOG_CHARS`, control characters removed. */
  body: string | null;
  /** The provider's own request id header, for its support. */
  providerRequestId: string | null;
}

/**
 * The provider's answer behind a failed model call (the SDK's `APICallError`, anywhere in the
 * cause chain), or null when the call got no answer (a timeout, a refused connection). The body
 * says why the provider refused (a gateway's `{"status":"failure","message":…}`) when the SDK
 * could not read a message from it; it is cut because a provider may quote the request back.
 */
export function providerResponseOf(error: unknown): ProviderResponseLog | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (APICallError.isInstance(current)) {
      const headers = current.responseHeaders ?? {};
      const body = current.responseBody;
      return {
        status: current.statusCode ?? null,
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
        body: body ? body.slice(0, PROVIDER_BODY_LOG_CHARS).replace(/[\u0000-\u001f\u007f]+/g, ' ') : null,
        providerRequestId: headers['x-request-id'] ?? headers['request-id'] ?? headers['x-amzn-requestid'] ?? null,
      };
    }
    current = current.cause;
  }
  return null;
}
