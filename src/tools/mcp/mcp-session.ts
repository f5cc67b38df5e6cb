import {
  type AuthProvider,
  Client,
  type OAuthClientProvider,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import { AppError, isAppError } from '../../core/errors.ts';
import type { McpTransportKind } from '../../core/mcp/mcp-server.ts';

/** Where and how to reach one tenant MCP server for one call, credentials already filled in. */
export interface McpEndpoint {
  /** The server's name, for error messages. */
  name: string;
  url: string;
  transport: McpTransportKind;
  /** Headers sent on every request (static auth, with secrets filled in). Never logged. */
  headers: Record<string, string>;
  /** An SDK auth provider (OAuth, supplied by src/tools/mcp/oauth) instead of, or beside, headers. */
  authProvider?: AuthProvider | OAuthClientProvider;
}

export interface McpSessionOptions {
  /**
   * The HTTP client every request goes through: the SSRF-guarded outbound fetch in production
   * (`createOutboundFetch`), which also caps each response body (no unbounded buffering).
   */
  fetch: typeof globalThis.fetch;
  /** Longest the whole session (connect, the work, close) may take, in ms. */
  timeoutMs: number;
  /** The turn's (or request's) signal: the session stops when it aborts. */
  signal?: AbortSignal | undefined;
}

const CLIENT_INFO = { name: 'enclave', version: '1' };

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * Maps whatever a session failed with to one documented code (docs/errors.md): a timeout, an
 * answer that is not MCP, an answer over the size cap, an address the SSRF guard refuses, or an
 * unreachable or failing server. The server's own words are cut short; they are untrusted text.
 */
export function mcpFailure(name: string, error: unknown, timedOut: boolean): AppError {
  const chain = causes(error);
  const outbound = chain.find(isAppError);
  if (outbound?.code === 'OUTBOUND_BLOCKED') return outbound;
  if (outbound?.code === 'OUTBOUND_RESPONSE_TOO_LARGE') {
    return new AppError('MCP_RESULT_TOO_LARGE', `MCP server '${name}' answered with more than the size cap allows`, {
      cause: error,
    });
  }
  if (outbound?.code.startsWith('MCP_')) return outbound;
  if (
    timedOut ||
    outbound?.code === 'OUTBOUND_TIMEOUT' ||
    chain.some((item) => item instanceof SdkError && item.code === SdkErrorCode.RequestTimeout)
  ) {
    return new AppError('MCP_TIMEOUT', `MCP server '${name}' did not answer in time`, { cause: error });
  }
  const http = chain.find((item): item is SdkHttpError => item instanceof SdkHttpError);
  if (http) {
    return new AppError('MCP_SERVER_UNAVAILABLE', `MCP server '${name}' answered HTTP ${http.status}`, {
      cause: error,
    });
  }
  if (
    chain.some(
      (item) =>
        item instanceof SyntaxError ||
        (item instanceof SdkError && item.code === SdkErrorCode.InvalidResult) ||
        (item instanceof ProtocolError && (item.code === -32700 || item.code === -32600)) ||
        (item instanceof Error && item.name === 'ZodError'),
    )
  ) {
    return new AppError('MCP_PROTOCOL_ERROR', `MCP server '${name}' answered with something that is not valid MCP`, {
      cause: error,
    });
  }
  const protocol = chain.find((item): item is ProtocolError => item instanceof ProtocolError);
  const said = protocol ? `: ${protocol.message.slice(0, 300)}` : '';
  return new AppError('MCP_SERVER_UNAVAILABLE', `MCP server '${name}' could not be reached or failed${said}`, {
    cause: error,
  });
}

function createTransport(endpoint: McpEndpoint, fetch: typeof globalThis.fetch): Transport {
  const options = {
    fetch,
    requestInit: { headers: endpoint.headers },
    ...(endpoint.authProvider ? { authProvider: endpoint.authProvider } : {}),
  };
  const url = new URL(endpoint.url);
  return endpoint.transport === 'sse'
    ? new SSEClientTransport(url, options)
    : // No reconnection: one call is one short session, and a dropped stream fails the call.
      new StreamableHTTPClientTransport(url, { ...options, reconnectionOptions: noReconnection });
}

const noReconnection = {
  maxReconnectionDelay: 0,
  initialReconnectionDelay: 0,
  reconnectionDelayGrowFactor: 1,
  maxRetries: 0,
};

/**
 * Runs `work` on a fresh MCP client session to the endpoint (initialize, the work, close), all
 * within `timeoutMs` and the caller's signal. A session per call keeps no connection, and so no
 * state, between tenants, users or turns. Every failure becomes a documented AppError.
 */
export async function withMcpSession<T>(
  endpoint: McpEndpoint,
  options: McpSessionOptions,
  work: (client: Client, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new AppError('MCP_TIMEOUT')), options.timeoutMs);
  const broken = new AbortController();
  const signal = AbortSignal.any([timeout.signal, broken.signal, ...(options.signal ? [options.signal] : [])]);
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  // A body over the size cap, or a refused address, surfaces on the transport's error channel
  // (an SSE stream that errors): end the session at once rather than wait for the timeout.
  client.onerror = (error) => {
    const outbound = causes(error).find(isAppError);
    if (outbound) broken.abort(error);
  };
  const aborted = new Promise<never>((_resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  aborted.catch(() => {});
  const request = { signal, timeout: options.timeoutMs };
  try {
    return await Promise.race([
      (async () => {
        await client.connect(createTransport(endpoint, options.fetch), request);
        return work(client, signal);
      })(),
      aborted,
    ]);
  } catch (error) {
    if (options.signal?.aborted && !timeout.signal.aborted) throw options.signal.reason;
    throw mcpFailure(endpoint.name, broken.signal.aborted ? broken.signal.reason : error, timeout.signal.aborted);
  } finally {
    clearTimeout(timer);
    // Closing ends the HTTP streams (and, for Streamable HTTP, may DELETE the session); never waited on past a moment.
    void Promise.race([client.close(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]).catch(() => {});
  }
}
