import type { Tracer } from '@opentelemetry/api';
import type { AgentDeps } from '../core/agents/run-agent.ts';
import type { EnclaveMetrics } from './create-metrics.ts';
import { instrumentModel } from './instrument-model.ts';
import { instrumentTools } from './instrument-tools.ts';

type ResolvedModel = Awaited<ReturnType<AgentDeps['resolveModel']>>;

/**
 * The turn pipeline's dependencies with every model measured (and traced) and, with tracing on,
 * every tool call traced. The tenant id reaches the spans explicitly, from the resolve calls.
 */
export function instrumentAgent(
  deps: AgentDeps,
  options: { metrics: Pick<EnclaveMetrics, 'modelCall'>; tracer: Tracer | null },
): AgentDeps {
  const { metrics, tracer } = options;
  const instrument = (tenantId: string, model: ResolvedModel): ResolvedModel =>
    typeof model === 'string' ? model : instrumentModel(model, { tenantId, metrics, tracer });
  return {
    ...deps,
    resolveModel(tenantId, config) {
      const resolved = deps.resolveModel(tenantId, config);
      return resolved instanceof Promise
        ? resolved.then((model) => instrument(tenantId, model))
        : instrument(tenantId, resolved as ResolvedModel);
    },
    ...(tracer
      ? {
          resolveTools: async (tenantId, names, turn) =>
            instrumentTools(await deps.resolveTools(tenantId, names, turn), { tenantId, tracer }),
        }
      : {}),
  };
}
