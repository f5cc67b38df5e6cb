import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpMetrics } from '../http/metrics-port.ts';

/** Connection counts of a database pool; null when there is no pool (SQLite). */
export type PoolStats = { total: number; idle: number; waiting: number } | null;

/** The HTTP layer's metrics plus what the composition root reports. */
export interface EnclaveMetrics extends HttpMetrics {
  /** One model call (one step of a turn's tool loop): its provider, outcome and duration. */
  modelCall(provider: string, outcome: 'completed' | 'failed', seconds: number): void;
  /**
   * Reports a database pool's connections as `enclave_db_pool_connections{state}`. `read` is called
   * on every scrape; when it returns null no series is written. Call it once.
   */
  observeDatabasePool(read: () => PoolStats): void;
  /**
   * Reports each provider's circuit as `enclave_provider_circuit_state{provider}` (0 closed,
   * 1 half-open, 2 open), read on every scrape. Provider ids are the operator's, a bounded set. Call it once.
   */
  observeProviderBreakers(read: () => readonly { provider: string; state: 'closed' | 'half-open' | 'open' }[]): void;
  /** Model calls in this process since it started, by provider label and outcome (from the histogram). */
  modelCallCounts(): Promise<{ provider: string; completed: number; failed: number }[]>;
}

/** Latency buckets (seconds) from a cached SQLite read to a long streamed turn. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 60];
const MODEL_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 15, 30, 60, 120];

/**
 * Provider label values. Provider names come from config, and an OpenAI-compatible provider may be
 * named anything, so unknown names are reported as `other`: a label must never identify a tenant.
 */
const KNOWN_PROVIDERS = new Set(['simulated', 'openai', 'anthropic', 'aws.bedrock', 'openai-compatible']);

/**
 * Prometheus metrics on a registry of our own (not prom-client's global), with the process
 * defaults (event-loop lag, heap, CPU). Route labels are route patterns, never raw URLs, and no
 * label ever carries a tenant (unbounded cardinality and a cross-tenant signal).
 */
export function createMetrics(): EnclaveMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'enclave_' });
  const requests = new Counter({
    name: 'enclave_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'enclave_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status (an SSE request lasts until its stream ends)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  const turns = new Histogram({
    name: 'enclave_turn_duration_seconds',
    help: 'Model time of a turn (tool loop included), by outcome',
    labelNames: ['outcome'] as const,
    buckets: MODEL_BUCKETS,
    registers: [registry],
  });
  const modelCalls = new Histogram({
    name: 'enclave_model_call_duration_seconds',
    help: 'Duration of one model call (one step of the tool loop; a stream until its last part), by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    buckets: MODEL_BUCKETS,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'enclave_tokens_total',
    help: 'Model tokens, by direction',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: 'enclave_tool_calls_total',
    help: 'Tool calls made by models',
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'enclave_limit_rejections_total',
    help: 'Requests refused by a limit or by load shedding, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const streams = new Gauge({ name: 'enclave_active_streams', help: 'Open SSE turn streams', registers: [registry] });

  return {
    request(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    unparsed(status) {
      // The method and path may be what the parser refused: neither is a label, so no client sets one.
      requests.inc({ method: 'unparsed', route: 'unparsed', status: String(status) });
    },
    turn(result, outcome) {
      if (result) {
        turns.observe({ outcome }, result.latencyMs / 1000);
        tokens.inc({ direction: 'input' }, result.usage.inputTokens);
        tokens.inc({ direction: 'output' }, result.usage.outputTokens);
        const calls = result.messages.reduce((count, message) => count + (message.toolCalls?.length ?? 0), 0);
        if (calls > 0) toolCalls.inc(calls);
      } else {
        turns.observe({ outcome }, 0);
      }
    },
    modelCall(provider, outcome, seconds) {
      modelCalls.observe({ provider: KNOWN_PROVIDERS.has(provider) ? provider : 'other', outcome }, seconds);
    },
    rejected(code) {
      rejections.inc({ code });
    },
    streamOpened: () => streams.inc(),
    streamClosed: () => streams.dec(),
    observeDatabasePool(read) {
      new Gauge({
        name: 'enclave_db_pool_connections',
        help: 'Database pool connections: total open, idle, and requests waiting for one',
        labelNames: ['state'] as const,
        registers: [registry],
        collect() {
          this.reset();
          const stats = read();
          if (!stats) return;
          this.set({ state: 'total' }, stats.total);
          this.set({ state: 'idle' }, stats.idle);
          this.set({ state: 'waiting' }, stats.waiting);
        },
      });
    },
    observeProviderBreakers(read) {
      const values = { closed: 0, 'half-open': 1, open: 2 } as const;
      new Gauge({
        name: 'enclave_provider_circuit_state',
        help: "A provider endpoint's circuit breaker in this process: 0 closed, 1 half-open (one trial call), 2 open (calls refused)",
        labelNames: ['provider'] as const,
        registers: [registry],
        collect() {
          this.reset();
          for (const { provider, state } of read()) this.set({ provider }, values[state]);
        },
      });
    },
    async modelCallCounts() {
      const counts = new Map<string, { provider: string; completed: number; failed: number }>();
      for (const value of (await modelCalls.get()).values) {
        if (!value.metricName?.endsWith('_count')) continue;
        const provider = String(value.labels.provider);
        const entry = counts.get(provider) ?? { provider, completed: 0, failed: 0 };
        if (value.labels.outcome === 'failed') entry.failed += value.value;
        else entry.completed += value.value;
        counts.set(provider, entry);
      }
      return [...counts.values()].sort((a, b) => a.provider.localeCompare(b.provider));
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
