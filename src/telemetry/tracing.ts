import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface Tracing {
  tracer: Tracer;
  /** Exports the spans still buffered, then stops. Call after the server has closed. */
  shutdown(): Promise<void>;
}

export interface TracingSettings {
  /** The collector's OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
  serviceVersion: string;
}

/**
 * OpenTelemetry tracing, exported as OTLP/HTTP JSON through a batch processor. Spans are made by
 * our own hooks (HTTP requests, turns, model and tool calls), never by auto-instrumentation.
 *
 * Spans come from this provider's tracer, passed explicitly, so a second instance in the same
 * process exports to its own collector. Registering installs the AsyncLocalStorage context
 * manager, which carries the parent span from a request into its turn; no propagator is
 * installed, because an inbound `traceparent` comes from a tenant, not from a trusted peer.
 */
export function createTracing(settings: TracingSettings): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: settings.serviceName,
      [ATTR_SERVICE_VERSION]: settings.serviceVersion,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register({ propagator: null });
  return {
    tracer: provider.getTracer('enclave', settings.serviceVersion),
    shutdown: () => provider.shutdown(),
  };
}
