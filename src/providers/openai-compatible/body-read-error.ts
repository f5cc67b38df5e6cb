/** What an error of a successful answer's body names: the call it belongs to. */
export interface BodyContext {
  url: string;
  requestBodyValues: unknown;
  statusCode: number;
  responseHeaders: Record<string, string>;
}

type ApiCallErrorClass = new (options: {
  message: string;
  cause?: unknown;
  url: string;
  requestBodyValues: unknown;
  statusCode?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  data?: unknown;
  isRetryable?: boolean;
}) => Error;

/** Error codes of a connection that broke, as the provider package lists them (retryable). */
const NETWORK_ERROR_CODES = new Set([
  'ConnectionRefused',
  'ConnectionClosed',
  'FailedToOpenSocket',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The error a streamed answer's body fails with when reading it fails, as the provider package
 * makes it (its `wrapResponseBodyStream` and `handleFetchError`, which it does not export): an
 * abort stays itself; anything else is an `APICallError` "Failed to process successful response"
 * with the read error as its cause, retryable when a cause in the chain is a broken connection.
 */
export function bodyReadError(error: unknown, context: BodyContext, APICallError: ApiCallErrorClass): unknown {
  if (isAbortError(error)) return error;
  const wrapped = new APICallError({ message: 'Failed to process successful response', cause: error, ...context });
  if (!hasNetworkCause(wrapped)) return wrapped;
  return new APICallError({
    message: wrapped.message,
    cause: error,
    ...context,
    isRetryable: true,
  });
}

function isAbortError(error: unknown): boolean {
  return (
    (error instanceof Error || error instanceof DOMException) &&
    (error.name === 'AbortError' || error.name === 'ResponseAborted' || error.name === 'TimeoutError')
  );
}

function hasNetworkCause(error: Error): boolean {
  const visited = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !visited.has(current)) {
    visited.add(current);
    const { code } = current as Error & { code?: unknown };
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}
