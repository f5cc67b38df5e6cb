import { Agent, type Dispatcher, ProxyAgent, fetch as undiciFetch } from 'undici';
import { isAppError } from '../core/errors.ts';
import {
  approvedAddresses,
  guardedConnector,
  type OutboundDial,
  type OutboundResolver,
  systemResolver,
} from './guarded-connector.ts';
import {
  OutboundBlockedError,
  OutboundResponseTooLargeError,
  OutboundTimeoutError,
  OutboundTooManyRedirectsError,
} from './outbound-errors.ts';
import { normalizeHost, type OutboundPolicy } from './outbound-policy.ts';

export type { OutboundDial, OutboundResolver, ResolvedAddress } from './guarded-connector.ts';

export type OutboundFetch = typeof globalThis.fetch;

export interface OutboundFetchOptions {
  /** What may be reached beyond the public internet (`parseOutboundAllow(ENCLAVE_OUTBOUND_ALLOW)`). */
  readonly policy: OutboundPolicy;
  /** DNS lookup; the system resolver by default. Tests pass a stub. */
  readonly resolver?: OutboundResolver;
  /**
   * An egress proxy (`http://proxy:3128`, credentials in the URL allowed): every request is then
   * tunnelled through it with CONNECT. The guard still checks each URL and each hop, and the
   * addresses the host name resolves to here, but the proxy resolves and dials on its own, so the
   * proxy must enforce the egress rules too (docs/security.md).
   */
  readonly proxy?: string | URL;
  /** Redirects followed per request (default 5); each hop is checked like the first URL. */
  readonly maxRedirects?: number;
  /** Longest wait for the response headers, connects and redirects included (ms, default 30000). */
  readonly timeoutMs?: number;
  /** Longest response body, after decompression (bytes, default 10 MiB). */
  readonly maxResponseBytes?: number;
  /** Test seam: opens the approved connection (see `OutboundDial`). Never set in production. */
  readonly dial?: OutboundDial;
}

export const OUTBOUND_DEFAULTS = Object.freeze({
  maxRedirects: 5,
  timeoutMs: 30_000,
  maxResponseBytes: 10 * 1024 * 1024,
});

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
/**
 * The only request headers a redirect to another origin keeps. Every other one may carry a
 * tenant's credential (`Authorization`, `Cookie`, and any static header whose value is a secret,
 * whatever its name) or state meant for the first server (`Mcp-Session-Id`), so it is dropped.
 */
const CROSS_ORIGIN_HEADERS = new Set([
  'accept',
  'accept-language',
  'content-language',
  'content-type',
  'user-agent',
  'mcp-protocol-version',
]);
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

type Body = RequestInit['body'];

interface Outgoing {
  url: URL;
  method: string;
  headers: Headers;
  body: Body;
  signal: AbortSignal | undefined;
  redirect: NonNullable<RequestInit['redirect']>;
}

/**
 * The one HTTP client for calls made on a tenant's behalf (MCP servers, OAuth endpoints): a
 * WHATWG `fetch` (pass it as the `fetch` option of the MCP SDK transports and OAuth helpers) that
 *
 * - refuses any URL that is not http(s), and any connection to an address outside the public
 *   internet unless the operator allowed it (`checkAddress`), at connect time on the address
 *   actually dialled (`guardedConnector`), so DNS rebinding cannot pass;
 * - follows redirects itself, at most `maxRedirects`, each hop checked the same way, keeping only
 *   a few harmless headers (`CROSS_ORIGIN_HEADERS`) when a hop leaves the origin;
 * - fails with `OUTBOUND_TIMEOUT` when no response headers arrive within `timeoutMs`, and with
 *   `OUTBOUND_RESPONSE_TOO_LARGE` when the body outgrows `maxResponseBytes` (a `Content-Length`
 *   over it fails at once; a longer stream errors when it crosses the cap).
 *
 * A refusal rejects with `OutboundBlockedError` (`OUTBOUND_BLOCKED`) before any byte is sent to the
 * refused address. Other network failures reject as `fetch` does (`TypeError('fetch failed')`).
 */
export function createOutboundFetch(options: OutboundFetchOptions): OutboundFetch {
  const maxRedirects = options.maxRedirects ?? OUTBOUND_DEFAULTS.maxRedirects;
  const timeoutMs = options.timeoutMs ?? OUTBOUND_DEFAULTS.timeoutMs;
  const maxResponseBytes = options.maxResponseBytes ?? OUTBOUND_DEFAULTS.maxResponseBytes;
  const resolver = options.resolver ?? systemResolver;
  const { policy } = options;
  const dispatcher: Dispatcher = options.proxy
    ? new ProxyAgent({ uri: String(options.proxy), proxyTunnel: true, headersTimeout: 0, bodyTimeout: 0 })
    : new Agent({
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: guardedConnector({ policy, resolver, connectTimeoutMs: timeoutMs, dial: options.dial }),
      });

  /** Checks before any connection: the scheme, and through a proxy the addresses the name has here. */
  async function precheck(url: URL, redirect: boolean): Promise<void> {
    const host = normalizeHost(url.hostname);
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new OutboundBlockedError({ reason: 'scheme', host: url.protocol.replace(/:$/, ''), port, redirect });
    if (options.proxy) {
      // A name this host cannot resolve (proxied networks often have no outside DNS) is left to the
      // proxy; a name that resolves to a refused address is refused here.
      await approvedAddresses(host, port, policy, resolver).catch((error: unknown) => {
        if (error instanceof OutboundBlockedError) throw asRedirect(error, redirect);
      });
    }
  }

  const outboundFetch: OutboundFetch = async (input, init) => {
    const outgoing = await outgoingOf(input, init);
    const { signal: callerSignal } = outgoing;
    callerSignal?.throwIfAborted();
    const origin = outgoing.url.origin;
    // The deadline covers everything up to the final response's headers; the caller's signal
    // covers the body too (the SDK closes an event stream with it), so the two are joined.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new OutboundTimeoutError(origin, timeoutMs)), timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
    try {
      for (let hop = 0; ; hop++) {
        const redirected = hop > 0;
        await precheck(outgoing.url, redirected);
        let response: Response;
        try {
          response = (await undiciFetch(outgoing.url, {
            method: outgoing.method,
            headers: outgoing.headers,
            body: outgoing.body as never,
            redirect: 'manual',
            signal,
            dispatcher,
            ...(isStream(outgoing.body) ? { duplex: 'half' } : {}),
          } as never)) as unknown as Response;
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          throw asRedirect(unwrapGuardError(error), redirected);
        }
        const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
        if (location === null || outgoing.redirect === 'manual') {
          clearTimeout(timer);
          return capped(response, outgoing.url, redirected, maxResponseBytes);
        }
        await response.body?.cancel().catch(() => {});
        if (outgoing.redirect === 'error')
          throw new TypeError('fetch failed', {
            cause: new Error(`redirected (${response.status}) with redirect: "error"`),
          });
        if (hop >= maxRedirects) throw new OutboundTooManyRedirectsError(origin, maxRedirects);
        followRedirect(outgoing, response.status, location);
      }
    } catch (error) {
      clearTimeout(timer);
      throw error;
    }
  };
  dispatchers.set(outboundFetch, dispatcher);
  return outboundFetch;
}

const dispatchers = new WeakMap<OutboundFetch, Dispatcher>();

/** Closes the connections a `createOutboundFetch` fetch holds (at shutdown); it then refuses new requests. */
export async function closeOutboundFetch(fetch: OutboundFetch): Promise<void> {
  await dispatchers.get(fetch)?.close();
}

/** Moves `outgoing` to the redirect's target, as the Fetch standard does, with credentials dropped across origins. */
function followRedirect(outgoing: Outgoing, status: number, location: string): void {
  let next: URL;
  try {
    next = new URL(location, outgoing.url);
  } catch (error) {
    throw new TypeError('fetch failed', { cause: error });
  }
  if (
    (status === 303 && outgoing.method !== 'HEAD') ||
    ((status === 301 || status === 302) && outgoing.method === 'POST')
  ) {
    outgoing.method = 'GET';
    outgoing.body = undefined;
    for (const name of BODY_HEADERS) outgoing.headers.delete(name);
  } else if (isStream(outgoing.body)) {
    throw new TypeError('fetch failed', { cause: new Error('cannot resend a streamed body to a redirect') });
  }
  if (next.origin !== outgoing.url.origin) {
    for (const name of [...outgoing.headers.keys()]) if (!CROSS_ORIGIN_HEADERS.has(name)) outgoing.headers.delete(name);
  }
  outgoing.url = next;
}

function isStream(body: Body): body is ReadableStream {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}

/** The request's parts from `fetch(input, init)`, `init` winning, as `new Request(input, init)` would take them. */
async function outgoingOf(input: Parameters<OutboundFetch>[0], init: RequestInit | undefined): Promise<Outgoing> {
  if (typeof input === 'string' || input instanceof URL) {
    return {
      url: new URL(input),
      method: normalizeMethod(init?.method ?? 'GET'),
      headers: new Headers(init?.headers),
      body: init?.body ?? undefined,
      signal: init?.signal ?? undefined,
      redirect: init?.redirect ?? 'follow',
    };
  }
  const hasOwnBody = init?.body !== undefined;
  const body = hasOwnBody ? init?.body : input.body ? await input.arrayBuffer() : undefined;
  return {
    url: new URL(input.url),
    method: normalizeMethod(init?.method ?? input.method),
    headers: new Headers(init?.headers ?? input.headers),
    body: body ?? undefined,
    signal: init?.signal ?? input.signal,
    redirect: init?.redirect ?? input.redirect,
  };
}

/** As the Fetch standard: the six standard methods in upper case, any other as written. */
function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'].includes(upper) ? upper : method;
}

/** undici reports a connector error as `TypeError('fetch failed')` with it as the cause: the guard's own errors come out as themselves. */
function unwrapGuardError(error: unknown): unknown {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    if (isAppError(cause)) return cause;
    cause = cause.cause;
  }
  return error;
}

function asRedirect(error: unknown, redirect: boolean): unknown {
  if (!redirect || !(error instanceof OutboundBlockedError)) return error;
  return new OutboundBlockedError({
    ...(error.details as ConstructorParameters<typeof OutboundBlockedError>[0]),
    redirect,
  });
}

/** The response as a standard `Response` whose body errors with `OUTBOUND_RESPONSE_TOO_LARGE` past the cap. */
async function capped(response: Response, url: URL, redirected: boolean, maxResponseBytes: number): Promise<Response> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxResponseBytes) {
    await response.body?.cancel().catch(() => {});
    throw new OutboundResponseTooLargeError(url.origin, maxResponseBytes);
  }
  let body: ReadableStream<Uint8Array> | null = null;
  if (response.body && !NULL_BODY_STATUSES.has(response.status)) {
    let received = 0;
    body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received += chunk.byteLength;
          if (received > maxResponseBytes)
            controller.error(new OutboundResponseTooLargeError(url.origin, maxResponseBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
  }
  const result = new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(result, 'url', { value: url.href });
  Object.defineProperty(result, 'redirected', { value: redirected });
  return result;
}
