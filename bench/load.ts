import autocannon, { type Request, type RequestParams } from 'autocannon';

export interface LoadSpec {
  title: string;
  baseUrl: string;
  method: 'GET' | 'POST';
  /** A fixed path, or a function called for every request (e.g. to spread load over sessions). */
  path: string | (() => string);
  /** A fixed JSON body, or a function called for every request (e.g. to vary the tenant). */
  body?: string | (() => string);
  durationSeconds: number;
  /** Requests to send in all, instead of running for `durationSeconds`. */
  amount?: number;
  connections: number;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
}

export interface LatencyStats {
  mean: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  durationSeconds: number;
  connections: number;
  /** Responses received (any status). */
  responses: number;
  /** Mean of autocannon's one-second samples. */
  reqPerSec: number;
  /** Milliseconds, from every response's own time (sub-millisecond precision). */
  latencyMs: LatencyStats;
  /** Connection errors, including timeouts. */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Bytes on the wire per response, headers included. */
  wireBytesPerResponse: number;
  /** Response body size in bytes (UTF-8). */
  bodyBytes: { first: number; mean: number; max: number };
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    mean: round(sorted.length === 0 ? 0 : sum / sorted.length),
    p50: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    p97_5: round(percentile(sorted, 0.975)),
    p99: round(percentile(sorted, 0.99)),
    max: round(percentile(sorted, 1)),
  };
}

/** Runs autocannon in this process against one endpoint and summarises what it saw. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  let bodyCount = 0;
  let bodyTotal = 0;
  let bodyMax = 0;
  let bodyFirst = -1;
  const request: Request = {
    method: spec.method,
    path: typeof spec.path === 'string' ? spec.path : spec.path(),
    headers: { ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }), ...spec.headers },
    onResponse: (_status, body) => {
      const bytes = Buffer.byteLength(body);
      if (bodyFirst < 0) bodyFirst = bytes;
      bodyCount++;
      bodyTotal += bytes;
      if (bytes > bodyMax) bodyMax = bytes;
    },
  };
  const body = spec.body;
  const path = spec.path;
  if (typeof body === 'function' || typeof path === 'function') {
    request.setupRequest = (params: RequestParams) => ({
      ...params,
      ...(typeof path === 'function' ? { path: path() } : {}),
      ...(typeof body === 'function' ? { body: body() } : {}),
    });
  }
  if (typeof body === 'string') request.body = body;
  const instance = autocannon({
    title: spec.title,
    url: spec.baseUrl,
    connections: spec.connections,
    ...(spec.amount === undefined ? { duration: spec.durationSeconds } : { amount: spec.amount }),
    timeout: 10,
    requests: [request],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  const responses = latencies.length;
  return {
    durationSeconds: result.duration,
    connections: spec.connections,
    responses,
    reqPerSec: round(result.requests.mean, 1),
    latencyMs: latencyStats(latencies),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    wireBytesPerResponse: responses === 0 ? 0 : Math.round(result.throughput.total / responses),
    bodyBytes: {
      first: Math.max(bodyFirst, 0),
      mean: bodyCount === 0 ? 0 : Math.round(bodyTotal / bodyCount),
      max: bodyMax,
    },
  };
}
