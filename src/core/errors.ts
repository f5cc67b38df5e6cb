/**
 * The single table of error codes. Each code has an HTTP status, a short English title and
 * whether a retry may succeed. `docs/errors.md` holds one entry per code (a test checks both ways).
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 422, title: 'Request validation failed', retryable: false },
  MALFORMED_JSON: { status: 422, title: 'Request body is not valid JSON', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 422, title: 'Request body must be application/json', retryable: false },
  CONTENT_TYPE_UNSUPPORTED: { status: 415, title: 'Request body must be application/json', retryable: false },
  INVALID_CURSOR: { status: 422, title: 'Pagination cursor is invalid', retryable: false },
  UNSUPPORTED_LANGUAGE: { status: 422, title: 'Response language is not supported', retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Request body is too large', retryable: false },
  MALFORMED_REQUEST: { status: 400, title: 'The request is not valid HTTP', retryable: false },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers are too large', retryable: false },
  REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time', retryable: true },
  EXPECTATION_FAILED: { status: 417, title: 'The Expect header cannot be met', retryable: false },
  TENANT_ID_REQUIRED: { status: 400, title: 'Tenant-ID header is required', retryable: false },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required', retryable: false },
  INSUFFICIENT_SCOPE: { status: 403, title: 'The credential lacks the required scope', retryable: false },
  TENANT_MISMATCH: { status: 403, title: 'The request names a different tenant than the credential', retryable: false },
  TENANT_SUSPENDED: { status: 403, title: 'Tenant is suspended', retryable: false },
  ADMIN_REQUIRED: { status: 403, title: 'An admin credential is required', retryable: false },
  HOST_NOT_ALLOWED: { status: 403, title: 'The Host or Origin header names a host not served here', retryable: false },
  CSRF_REJECTED: { status: 403, title: 'The console request failed the CSRF check', retryable: false },
  CONSOLE_NOT_BUILT: { status: 503, title: 'The web console is not built', retryable: false },
  KEY_NOT_FOUND: { status: 404, title: 'API key not found', retryable: false },
  CONFIG_VERSION_NOT_FOUND: { status: 404, title: 'Config version not found', retryable: false },
  RATE_LIMITED: { status: 429, title: 'Too many requests', retryable: true },
  CONCURRENCY_LIMITED: { status: 429, title: 'Too many concurrent turns', retryable: true },
  TOKEN_RATE_LIMITED: { status: 429, title: 'Token rate limit reached', retryable: true },
  QUOTA_EXCEEDED: { status: 429, title: 'Token quota used up', retryable: true },
  TENANT_NOT_FOUND: { status: 404, title: 'Tenant not found', retryable: false },
  TENANT_ALREADY_EXISTS: { status: 409, title: 'Tenant already exists', retryable: false },
  SESSION_NOT_FOUND: { status: 404, title: 'Session not found', retryable: false },
  RESPONSE_NOT_FOUND: { status: 404, title: 'Response not found', retryable: false },
  ITEM_NOT_FOUND: { status: 404, title: 'Conversation item not found', retryable: false },
  RESPONSE_NOT_CANCELLABLE: {
    status: 409,
    title: 'Only a running background response can be cancelled',
    retryable: false,
  },
  TURN_NOT_FOUND: { status: 404, title: 'Turn not found or not running', retryable: false },
  TURN_CANCELLED: { status: 409, title: 'The turn was cancelled', retryable: false },
  TURN_EVENTS_EXPIRED: { status: 410, title: 'The turn events are no longer kept', retryable: false },
  SESSION_BUSY: { status: 409, title: 'Another turn is running on this session', retryable: true },
  TOO_MANY_SUBSCRIPTIONS: { status: 429, title: 'This WebSocket follows too many turns', retryable: true },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    title: 'The Idempotency-Key was used with a different request',
    retryable: false,
  },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    title: 'A request with this Idempotency-Key is still running',
    retryable: true,
  },
  ROUTE_NOT_FOUND: { status: 404, title: 'Route not found', retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route', retryable: false },
  UPGRADE_REQUIRED: { status: 426, title: 'This endpoint needs a WebSocket upgrade', retryable: false },
  SECRET_NOT_FOUND: { status: 404, title: 'Secret not found', retryable: false },
  SECRETS_NOT_CONFIGURED: { status: 503, title: 'Secrets need ENCLAVE_MASTER_KEY', retryable: false },
  USER_ID_REQUIRED: { status: 400, title: 'An end-user id is required', retryable: false },
  PROVIDER_ERROR: { status: 502, title: 'The model provider failed', retryable: true },
  PROVIDER_REJECTED: { status: 502, title: 'The model provider refused the request', retryable: false },
  PROVIDER_TIMEOUT: { status: 504, title: 'The model provider did not answer in time', retryable: true },
  PROVIDER_RATE_LIMITED: { status: 429, title: 'The model provider is rate limiting', retryable: true },
  PROVIDER_UNAVAILABLE: { status: 503, title: 'The model provider is unavailable', retryable: true },
  MODEL_NOT_ALLOWED: { status: 403, title: 'The model is not allowed for this tenant', retryable: false },
  PROVIDER_KEY_MISSING: { status: 422, title: 'No API key for the model provider', retryable: false },
  NOT_READY: { status: 503, title: 'Service is not ready', retryable: true },
  LIMITS_UNAVAILABLE: { status: 503, title: 'Limits cannot be checked right now', retryable: true },
  OVERLOADED: { status: 503, title: 'The server is overloaded', retryable: true },
  AGENT_NOT_FOUND: { status: 404, title: 'Agent not found', retryable: false },
  AGENT_VERSION_NOT_FOUND: { status: 404, title: 'Agent version not found', retryable: false },
  AGENT_ALREADY_EXISTS: { status: 409, title: 'An agent with this id already exists', retryable: false },
  AGENT_LIMIT_REACHED: { status: 409, title: 'The tenant has as many agents as it may have', retryable: false },
  AGENT_HAS_SESSIONS: { status: 409, title: 'Sessions still use this agent', retryable: false },
  MODEL_NOT_FOUND: { status: 404, title: 'The model does not exist', retryable: false },
  UNSUPPORTED_PARAMETER: {
    status: 400,
    title: 'The request uses a parameter this server does not support',
    retryable: false,
  },
  UNKNOWN_TOOL: { status: 422, title: 'The config names a tool that does not exist', retryable: false },
  MCP_SERVER_NOT_FOUND: { status: 404, title: 'MCP server not found', retryable: false },
  MCP_OAUTH_AUTHORIZATION_REQUIRED: {
    status: 409,
    title: 'The MCP server needs an OAuth authorization first',
    retryable: false,
  },
  MCP_OAUTH_STATE_INVALID: {
    status: 400,
    title: 'The OAuth state is unknown, expired or already used',
    retryable: false,
  },
  MCP_OAUTH_DENIED: { status: 400, title: 'The OAuth authorization was denied or returned no code', retryable: false },
  MCP_OAUTH_FAILED: { status: 502, title: 'The OAuth authorization server refused or failed', retryable: true },
  MCP_OAUTH_NOT_APPLICABLE: {
    status: 409,
    title: 'The MCP server does not use the OAuth authorization-code grant',
    retryable: false,
  },
  OUTBOUND_BLOCKED: {
    status: 422,
    title: 'The outbound URL leads to an address Enclave may not connect to',
    retryable: false,
  },
  OUTBOUND_TOO_MANY_REDIRECTS: {
    status: 502,
    title: 'The outbound request was redirected too often',
    retryable: false,
  },
  OUTBOUND_RESPONSE_TOO_LARGE: { status: 502, title: 'The outbound response is too large', retryable: false },
  OUTBOUND_TIMEOUT: { status: 504, title: 'The outbound server did not answer in time', retryable: true },
  MCP_SERVER_NAME_TAKEN: { status: 409, title: 'The tenant has an MCP server of that name', retryable: false },
  MCP_SECRET_MISSING: {
    status: 409,
    title: 'The MCP server auth names a secret the tenant does not have',
    retryable: false,
  },
  MCP_USER_CREDENTIAL_MISSING: {
    status: 409,
    title: 'The MCP server needs the end user’s own credential, and this user has none',
    retryable: false,
  },
  MCP_SERVER_UNAVAILABLE: { status: 502, title: 'The MCP server could not be reached or failed', retryable: true },
  MCP_PROTOCOL_ERROR: { status: 502, title: 'The MCP server answered with invalid MCP', retryable: false },
  MCP_TIMEOUT: { status: 504, title: 'The MCP server did not answer in time', retryable: true },
  MCP_RESULT_TOO_LARGE: { status: 502, title: 'The MCP server’s answer is too large', retryable: false },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error', retryable: true },
} as const satisfies Record<string, { status: number; title: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  cause?: unknown;
  /** Safe-to-show structured details (for example the failing fields). Never secrets. */
  details?: unknown;
}

/** The one error type the domain throws. Only the HTTP layer maps it to a response. */
export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string = ERROR_CODES[code].title, options: AppErrorOptions = {}) {
    // A refusal (4xx) is the caller's to mend and carries no stack: capturing one was about a
    // twentieth of the server's CPU for a request refused by validation. Server errors keep theirs.
    const stackTraceLimit = Error.stackTraceLimit;
    if (ERROR_CODES[code].status < 500) Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
