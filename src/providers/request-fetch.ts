import { STATUS_CODES } from 'node:http';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib';
import { type Dispatcher, request, fetch as undiciFetch } from 'undici';

type Fetch = typeof globalThis.fetch;

/** Statuses whose response has no body (a `Response` with one throws). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Chunks a response body stream holds before the provider's socket is paused. */
const BODY_HIGH_WATER_MARK = 16;

/**
 * A `fetch` for provider calls on undici's `request`, for the calls the AI SDK providers make (a
 * string or URL, a string or byte body): about half a millisecond less per call than `fetch`,
 * which builds a `Request`, runs the Fetch standard's steps and hands the body through more
 * stream stages. That is time every streamed turn waits before its first token. Anything else (a
 * `Request` object, a stream or form body), and a redirect, goes to undici's `fetch` itself.
 *
 * It behaves like `fetch` where the SDK looks: a failed connection rejects with
 * `TypeError('fetch failed')` carrying the cause (the SDK makes that a retryable `APICallError`),
 * an abort rejects with the signal's reason, and the body is a web stream with backpressure. No
 * `accept-encoding` is sent, so providers answer uncompressed; a compressed answer is decoded.
 */
export function requestFetch(dispatcher: Dispatcher): Fetch {
  const viaFetch: Fetch = (input, init) => undiciFetch(input as never, { ...init, dispatcher } as never) as never;
  return async (input, init) => {
    const body = init?.body;
    const simple =
      (typeof input === 'string' || input instanceof URL) &&
      (body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array);
    if (!simple) return viaFetch(...asFetchable(input, init));
    const method = init?.method ?? 'GET';
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(input, {
        method: method as Dispatcher.HttpMethod,
        headers: headerObject(init?.headers),
        body: body ?? null,
        signal: init?.signal ?? null,
        dispatcher,
      });
    } catch (error) {
      throw fetchError(error, init?.signal);
    }
    const { statusCode, headers } = answer;
    // The SDKs fall back to `statusText` for the error message when an error body is not shaped like
    // their vendor's (a gateway's, a proxy's): without it that message was empty. HTTP/2 carries no
    // reason phrase, so the standard one stands in, as it does for a server that sends none.
    const statusText = answer.statusText || STATUS_CODES[statusCode] || '';
    if (REDIRECT_STATUSES.has(statusCode)) {
      discard(answer.body);
      return viaFetch(input, init);
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item);
      else if (value !== undefined) responseHeaders.append(name, value);
    }
    if (NULL_BODY_STATUSES.has(statusCode) || method === 'HEAD') {
      discard(answer.body);
      return new Response(null, { status: statusCode, statusText, headers: responseHeaders });
    }
    const encoding = responseHeaders.get('content-encoding')?.trim().toLowerCase();
    let source: Readable = answer.body;
    if (encoding && encoding !== 'identity') {
      source = decoder(answer.body, encoding);
      responseHeaders.delete('content-encoding');
      responseHeaders.delete('content-length');
    }
    const stream = toWebStream(source, init?.signal);
    return new Response(stream, { status: statusCode, statusText, headers: responseHeaders });
  };
}

/**
 * undici's `fetch` (this package's) does not take the `Request` objects of Node's global one:
 * such a request goes as its URL and parts, overridden by `init` as `fetch` would.
 */
function asFetchable(input: Parameters<Fetch>[0], init: RequestInit | undefined): [string | URL, RequestInit] {
  if (typeof input === 'string' || input instanceof URL) return [input, init ?? {}];
  const { url, method, headers, body, signal } = input;
  return [url, { method, headers, body, signal, duplex: 'half', ...init } as RequestInit];
}

/** Drops a body not read: undici's body emits an error when destroyed unread, which must not go unhandled. */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

function headerObject(headers: RequestInit['headers']): Record<string, string> {
  if (headers === undefined) return {};
  if (headers instanceof Headers || Array.isArray(headers)) return Object.fromEntries(new Headers(headers));
  const object: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) object[name] = String(value);
  return object;
}

/** As `fetch` rejects: the abort reason when aborted, else `TypeError('fetch failed')` with the cause. */
function fetchError(error: unknown, signal: AbortSignal | null | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  return new TypeError('fetch failed', { cause: error });
}

/** A Node stream as a web byte stream that pulls: the socket is paused while the reader is behind. */
function toWebStream(body: Readable, signal: AbortSignal | null | undefined): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        body.on('data', (chunk: Buffer) => {
          if (done) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 1) <= 0) body.pause();
        });
        body.once('end', () => {
          if (done) return;
          done = true;
          controller.close();
        });
        body.once('error', (error) => {
          if (done) return;
          done = true;
          // As fetch's body does: the abort reason after an abort, `TypeError('terminated')` for a cut connection.
          controller.error(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: error }));
        });
      },
      pull() {
        body.resume();
      },
      cancel(reason) {
        done = true;
        body.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: BODY_HIGH_WATER_MARK },
  );
}

const DECODERS: Record<string, () => Transform> = {
  gzip: () => createGunzip(),
  'x-gzip': () => createGunzip(),
  deflate: () => createInflate(),
  br: () => createBrotliDecompress(),
  zstd: () => createZstdDecompress(),
};

/** A compressed body (a provider that compresses without being asked), decoded as `fetch` would. */
function decoder(body: Readable, encoding: string): Readable {
  const create = Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding] : undefined;
  if (!create) {
    discard(body);
    throw new TypeError('fetch failed', { cause: new Error(`Unsupported content-encoding: ${encoding}`) });
  }
  return pipeline(body, create(), () => {});
}
