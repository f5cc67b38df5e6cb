import type { LanguageModelUsage, ModelMessage } from 'ai';
import { asLanguageModelUsage } from 'ai/internal';
import {
  finishStep,
  runSteps,
  type StepEvent,
  type StepsCall,
  type StreamPart,
  type ToolCallPart,
} from './step-loop.ts';
import type { Step } from './steps-to-messages.ts';

/**
 * The streamed tool loop: calls the model's `doStream` once per step, passes every text delta to
 * `onEvent` as it arrives, runs the step's tool calls, and goes on while the model calls tools and
 * steps remain. The same loop as the AI SDK's `streamText` (its own prompt conversion, tool call
 * parsing and tool output mapping, from `ai/internal`), without the dozen web-stream stages that
 * `streamText` runs every part through: those cost about 90 µs of CPU per text delta, which bounds
 * how many concurrent streams one process can carry. A stream `error` part, or a model stream that
 * breaks off, rejects; an aborted `abortSignal` rejects with its reason.
 */
export async function streamSteps(call: StepsCall, onEvent: (event: StepEvent) => void): Promise<Step[]> {
  return runSteps(call, async (model, options, messages) => {
    const { stream } = await model.doStream(options);
    return readStep(stream, call, messages, onEvent);
  });
}

/** Reads one model call's stream to its end, then runs the tool calls it made. */
async function readStep(
  stream: ReadableStream<StreamPart>,
  call: StepsCall,
  messages: ModelMessage[],
  onEvent: (event: StepEvent) => void,
): Promise<Step> {
  const texts = new Map<string, string>();
  // Made on the first reasoning delta: a model that yields none costs nothing here.
  let reasoning: Map<string, string> | undefined;
  const calls: ToolCallPart[] = [];
  let usage: LanguageModelUsage | undefined;
  let finishReason: Step['finishReason'];
  const reader = stream.getReader();
  const abort = call.abortSignal;
  // A provider stream that ignores the signal still ends the read at once: cancel settles it.
  const stop = () => {
    reader.cancel(abort?.reason).catch(() => {});
  };
  abort?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const next = await reader.read();
      abort?.throwIfAborted();
      if (next.done) break;
      const part = next.value;
      if (part.type === 'text-delta') {
        if (part.delta.length === 0) continue;
        texts.set(part.id, (texts.get(part.id) ?? '') + part.delta);
        onEvent({ type: 'text-delta', text: part.delta });
      } else if (part.type === 'reasoning-delta') {
        if (part.delta.length === 0) continue;
        reasoning ??= new Map();
        reasoning.set(part.id, (reasoning.get(part.id) ?? '') + part.delta);
        onEvent({ type: 'reasoning-delta', text: part.delta });
      } else if (part.type === 'tool-call') {
        if (!part.providerExecuted) calls.push(part);
      } else if (part.type === 'finish') {
        usage = asLanguageModelUsage(part.usage);
        finishReason = part.finishReason.unified;
      } else if (part.type === 'error') {
        throw part.error;
      }
    }
  } finally {
    abort?.removeEventListener('abort', stop);
    reader.releaseLock();
  }
  abort?.throwIfAborted();
  return finishStep(
    { reasoning: reasoning ? [...reasoning.values()] : [], texts: [...texts.values()], calls, usage, finishReason },
    call,
    messages,
    onEvent,
  );
}
