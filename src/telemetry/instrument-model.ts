import type {
  LanguageModelV4,
  LanguageModelV4FinishReason,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from '@ai-sdk/provider';
import { context, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { wrapLanguageModel } from 'ai';
import { observeParts } from '../providers/part-observer.ts';
import type { EnclaveMetrics } from './create-metrics.ts';

/** AI SDK provider ids (`openai.chat`, `amazon-bedrock`) → GenAI semantic-convention provider names. */
export function genAiProviderName(provider: string): string {
  const name = provider.split('.')[0] ?? provider;
  return name === 'amazon-bedrock' ? 'aws.bedrock' : name;
}

export interface InstrumentModelOptions {
  tenantId: string;
  metrics: Pick<EnclaveMetrics, 'modelCall'>;
  /** Null when tracing is off: only the duration metric is kept. */
  tracer: Tracer | null;
}

/** Any model version the AI SDK can wrap (the result is always the current version). */
type WrappableModel = Parameters<typeof wrapLanguageModel>[0]['model'];

interface CallOutcome {
  modelId?: string | undefined;
  responseId?: string | undefined;
  usage?: LanguageModelV4Usage;
  finishReason?: LanguageModelV4FinishReason;
  error?: unknown;
}

/**
 * Wraps a model so that every call (each step of the tool loop) is measured in
 * `enclave_model_call_duration_seconds` and, with tracing on, becomes a `chat {model}` client span
 * under the current turn, with the GenAI semantic-convention attributes: ids, token counts and
 * finish reasons; never prompts or completions.
 */
export function instrumentModel(model: WrappableModel, options: InstrumentModelOptions): LanguageModelV4 {
  const provider = genAiProviderName(model.provider);
  const { tracer, metrics } = options;

  function start(): { span: Span | null; started: number } {
    const span =
      tracer?.startSpan(
        `chat ${model.modelId}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': provider,
            'gen_ai.system': provider,
            'gen_ai.request.model': model.modelId,
            'enclave.tenant_id': options.tenantId,
          },
        },
        context.active(),
      ) ?? null;
    return { span, started: performance.now() };
  }

  function finish(call: { span: Span | null; started: number }, outcome: CallOutcome): void {
    metrics.modelCall(
      provider,
      outcome.error === undefined ? 'completed' : 'failed',
      (performance.now() - call.started) / 1000,
    );
    const { span } = call;
    if (!span) return;
    span.setAttribute('gen_ai.response.model', outcome.modelId ?? model.modelId);
    if (outcome.responseId) span.setAttribute('gen_ai.response.id', outcome.responseId);
    const input = outcome.usage?.inputTokens.total;
    const output = outcome.usage?.outputTokens.total;
    if (input !== undefined) span.setAttribute('gen_ai.usage.input_tokens', input);
    if (output !== undefined) span.setAttribute('gen_ai.usage.output_tokens', output);
    if (outcome.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [outcome.finishReason.unified]);
    if (outcome.error !== undefined) {
      // The error's class only: provider messages can quote the prompt.
      const type = outcome.error instanceof Error ? outcome.error.name : 'error';
      span.setAttribute(ATTR_ERROR_TYPE, type);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v4',
      async wrapGenerate({ doGenerate }) {
        const call = start();
        try {
          const result = await doGenerate();
          finish(call, {
            modelId: result.response?.modelId,
            responseId: result.response?.id,
            usage: result.usage,
            finishReason: result.finishReason,
          });
          return result;
        } catch (error) {
          finish(call, { error });
          throw error;
        }
      },
      async wrapStream({ doStream }) {
        const call = start();
        let result: Awaited<ReturnType<typeof doStream>>;
        try {
          result = await doStream();
        } catch (error) {
          finish(call, { error });
          throw error;
        }
        const outcome: CallOutcome = {};
        let done = false;
        const end = (error?: unknown) => {
          if (done) return;
          done = true;
          finish(call, error === undefined ? outcome : { ...outcome, error });
        };
        const observe = (part: LanguageModelV4StreamPart) => {
          if (part.type === 'response-metadata') {
            outcome.modelId = part.modelId ?? outcome.modelId;
            outcome.responseId = part.id ?? outcome.responseId;
          } else if (part.type === 'finish') {
            outcome.usage = part.usage;
            outcome.finishReason = part.finishReason;
          } else if (part.type === 'error') {
            outcome.error = part.error;
          }
        };
        // A provider's guarded stream reports its parts: no stream stage of our own (see observeParts).
        const observed = observeParts(result.stream, {
          part: observe,
          done: () => end(outcome.error),
          failed: (error) => end(error),
          cancelled: (reason) => end(reason ?? new Error('stream cancelled')),
        });
        if (observed) return result;
        // Any other model's stream: a pulled stream rather than a TransformStream, since every part
        // of every streamed call passes here, and a transform stage costs several times a read.
        const reader = result.stream.getReader();
        const wrapped = new ReadableStream<LanguageModelV4StreamPart>({
          async pull(controller) {
            let next: Awaited<ReturnType<typeof reader.read>>;
            try {
              next = await reader.read();
            } catch (error) {
              end(error);
              throw error;
            }
            if (next.done) {
              end(outcome.error);
              controller.close();
              return;
            }
            observe(next.value);
            controller.enqueue(next.value);
          },
          cancel(reason) {
            end(reason ?? new Error('stream cancelled'));
            return reader.cancel(reason);
          },
        });
        return { ...result, stream: wrapped };
      },
    },
  });
}
