import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpMetrics } from '../http/metrics-port.ts';

/**
 * Prometheus metrics on a registry of our own (not prom-client's global), with the process
 * defaults (event-loop lag, heap, CPU). Route labels are route patterns, never raw URLs.
 */
export function createMetrics(): HttpMetrics {
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
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const turns = new Histogram({
    name: 'enclave_turn_duration_seconds',
    help: 'Model time of a turn (tool loop included), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
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
    help: 'Requests refused by a limit, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const streams = new Gauge({ name: 'enclave_active_streams', help: 'Open SSE turn streams', registers: [registry] });

  return {
    request(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
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
    rejected(code) {
      rejections.inc({ code });
    },
    streamOpened: () => streams.inc(),
    streamClosed: () => streams.dec(),
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
