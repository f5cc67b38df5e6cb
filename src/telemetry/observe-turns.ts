import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { TurnRequest, TurnResult } from '../core/agents/run-agent.ts';
import { messageText } from '../core/conversations/message.ts';
import { isAppError } from '../core/errors.ts';
import type { EnclaveMetrics } from './create-metrics.ts';

/** The two pino methods a turn log line needs. */
export interface TurnLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface ObserveTurnsOptions {
  metrics: Pick<EnclaveMetrics, 'turn'>;
  /** The app's logger, once it exists. */
  log(): TurnLog | null;
  /** Null when tracing is off. */
  tracer: Tracer | null;
  /** `LOG_CONTENT`: put the message and reply text in the turn log line (debugging only). */
  logContent: boolean;
  /** Error codes of turns that reached the model and failed there (counted as `failed` turns). */
  failedCodes: ReadonlySet<string>;
}

type RunTurn = (request: TurnRequest) => Promise<TurnResult>;

function toolCallsOf(result: TurnResult): number {
  return result.messages.reduce((count, message) => count + (message.toolCalls?.length ?? 0), 0);
}

/**
 * Wraps the turn pipeline with what operators see of a turn: the turn metrics, one log line per
 * turn (tenant, request and turn ids, tokens and timings; message text only with `LOG_CONTENT`),
 * and, with tracing on, an `invoke_agent` span under the request span, which the model and tool
 * spans of the turn then sit under.
 */
export function observeTurns(run: RunTurn, options: ObserveTurnsOptions): RunTurn {
  const { metrics, tracer } = options;
  const ids = (request: TurnRequest) => ({
    tenant_id: request.tenantId,
    request_id: request.requestId,
    session_id: request.sessionId,
  });

  // The turn is stored and charged: a metric or log line that fails must not answer it as an error.
  const completed = (request: TurnRequest, result: TurnResult, span: Span | null) => {
    try {
      observeCompleted(request, result, span);
    } catch (error) {
      try {
        options.log()?.warn({ ...ids(request), turn_id: result.turnId, err: error }, 'could not observe a turn');
      } catch {
        // Nothing left to report with; the stored turn still succeeds.
      }
    }
    return result;
  };

  const observeCompleted = (request: TurnRequest, result: TurnResult, span: Span | null) => {
    metrics.turn(result, 'completed');
    const toolCalls = toolCallsOf(result);
    options.log()?.info(
      {
        ...ids(request),
        turn_id: result.turnId,
        model: result.reply.model,
        input_tokens: result.usage.inputTokens,
        output_tokens: result.usage.outputTokens,
        tool_calls: toolCalls,
        ms: Math.round(result.latencyMs),
        ...(options.logContent ? { message: request.text, reply: messageText(result.reply.content) } : {}),
      },
      'turn completed',
    );
    if (span) {
      span.setAttributes({
        'enclave.turn_id': result.turnId,
        'gen_ai.usage.input_tokens': result.usage.inputTokens,
        'gen_ai.usage.output_tokens': result.usage.outputTokens,
        'enclave.tool_calls': toolCalls,
      });
      span.end();
    }
  };

  const failed = (request: TurnRequest, error: unknown, span: Span | null): never => {
    const code = isAppError(error) ? error.code : 'INTERNAL_ERROR';
    if (options.failedCodes.has(code)) metrics.turn(null, 'failed');
    const fields = {
      ...ids(request),
      code,
      ...(options.logContent ? { message: request.text } : {}),
    };
    if (isAppError(error) && error.status < 500) options.log()?.info(fields, 'turn failed');
    else options.log()?.warn(fields, 'turn failed');
    if (span) {
      span.setAttribute(ATTR_ERROR_TYPE, code);
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    throw error;
  };

  if (!tracer) {
    return (request) =>
      run(request).then(
        (result) => completed(request, result, null),
        (error: unknown) => failed(request, error, null),
      );
  }
  return (request) => {
    const parent = context.active();
    const span = tracer.startSpan(
      'invoke_agent',
      {
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.conversation.id': request.sessionId,
          'enclave.tenant_id': request.tenantId,
          ...(request.requestId ? { 'enclave.request_id': request.requestId } : {}),
        },
      },
      parent,
    );
    return context
      .with(trace.setSpan(parent, span), () => run(request))
      .then(
        (result) => completed(request, result, span),
        (error: unknown) => failed(request, error, span),
      );
  };
}
