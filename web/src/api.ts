/**
 * The console talks to Enclave's public HTTP API only, with the session cookie the sign-in set
 * (httpOnly: this code never sees it) and the CSRF token on every state-changing request.
 */

export interface Problem {
  status: number;
  code: string;
  message: string;
  errors?: { path: string; message: string }[] | undefined;
}

export class ApiError extends Error implements Problem {
  readonly status: number;
  readonly code: string;
  readonly errors: Problem['errors'];
  constructor(problem: Problem) {
    super(problem.message);
    this.status = problem.status;
    this.code = problem.code;
    this.errors = problem.errors;
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  accept?: string;
}

/** Builds headers: JSON body, CSRF token on unsafe methods. */
export function requestInit(options: RequestOptions = {}): RequestInit {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  if (options.signal) init.signal = options.signal;
  return init;
}

/** Reads a problem+json (or any error body) into an ApiError with the API's code and message. */
export async function toApiError(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // not JSON: keep the status text
  }
  // The OpenAI-compatible routes answer OpenAI's shape: {"error": {"message", "code"}}.
  const nested = body.error && typeof body.error === 'object' ? (body.error as Record<string, unknown>) : null;
  if (nested)
    body = { message: nested.message, code: typeof nested.code === 'string' ? nested.code.toUpperCase() : undefined };
  const message =
    (typeof body.detail === 'string' && body.detail) ||
    (typeof body.message === 'string' && body.message) ||
    (typeof body.title === 'string' && body.title) ||
    response.statusText ||
    `HTTP ${response.status}`;
  const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
  const errors = Array.isArray(body.errors) ? (body.errors as Problem['errors']) : undefined;
  return new ApiError({ status: response.status, code, message, errors });
}

export async function raw(path: string, options: RequestOptions = {}): Promise<Response> {
  const response = await fetch(path, requestInit(options));
  if (!response.ok) {
    const error = await toApiError(response);
    if (response.status === 401 && !path.startsWith('/console/api/session')) onUnauthenticated?.();
    throw error;
  }
  return response;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await raw(path, options);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return (await response.text()) as T;
  return (await response.json()) as T;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/** Query string from defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const enc = encodeURIComponent;
