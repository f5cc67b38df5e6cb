import { asLanguageModelUsage } from 'ai/internal';
import { finishStep, runSteps, type StepsCall, type ToolCallPart } from './step-loop.ts';
import type { Step } from './steps-to-messages.ts';

/**
 * The tool loop of a turn whose output nobody watches as it is made (a legacy interact, a JSON
 * `/v1` turn): the loop of `streamSteps`, with one `doGenerate` per step instead of a stream. It
 * replaces the AI SDK's `generateText`, which runs the same calls through its callback, telemetry
 * and retry machinery and copies every message on the way: about a quarter of what a legacy
 * interaction allocated. Text and reasoning are kept in the model's order, reasoning before text
 * (as the streamed loop stores them); calls of tools the provider ran itself are left out, as the
 * streamed loop leaves them. The next step gets the calls and their results without the provider's
 * metadata and without the reasoning, exactly as in the streamed loop, so a turn's model calls do
 * not depend on whether anyone watched it (`generateText` sent both back). A failed call rejects;
 * an aborted `abortSignal` rejects with its reason.
 */
export function generateSteps(call: StepsCall): Promise<Step[]> {
  return runSteps(call, async (model, options, messages) => {
    const result = await model.doGenerate(options);
    call.abortSignal?.throwIfAborted();
    const reasoning: string[] = [];
    const texts: string[] = [];
    const calls: ToolCallPart[] = [];
    for (const part of result.content) {
      if (part.type === 'text') {
        if (part.text.length > 0) texts.push(part.text);
      } else if (part.type === 'reasoning') {
        if (part.text.length > 0) reasoning.push(part.text);
      } else if (part.type === 'tool-call' && !part.providerExecuted) {
        calls.push(part);
      }
    }
    const answer = {
      reasoning,
      texts,
      calls,
      usage: asLanguageModelUsage(result.usage),
      finishReason: result.finishReason.unified,
    };
    return finishStep(answer, call, messages, () => {});
  });
}
