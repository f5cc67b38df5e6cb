import type { LanguageModel, LanguageModelUsage, ModelMessage, SystemModelMessage, ToolSet } from 'ai';
import {
  convertToLanguageModelPrompt,
  createToolModelOutput,
  parseToolCall,
  prepareTools,
  resolveLanguageModel,
  standardizePrompt,
} from 'ai/internal';
import type { Step, StepContent } from './steps-to-messages.ts';

// The model port's own types, as `ai` resolves them (the core imports no provider package).
type ModelV4 = ReturnType<typeof resolveLanguageModel>;
export type StreamPart =
  Awaited<ReturnType<ModelV4['doStream']>>['stream'] extends ReadableStream<infer Part> ? Part : never;
/** A tool call as the model gave it (`input` is its JSON text), from a stream or a generate result. */
export type ToolCallPart = Extract<StreamPart, { type: 'tool-call' }>;

/** The sampling settings of a model call that an agent and a caller may both set. */
export interface SamplingSettings {
  temperature?: number;
  topP?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
}

/**
 * Settings of each model call: the agent's sampling settings and, over them, those a caller sent
 * (see `CallSettings`); absent fields are the provider's defaults.
 */
export interface ModelSettings extends SamplingSettings {
  responseFormat?: ModelCallOptions['responseFormat'];
  toolChoice?: ModelCallOptions['toolChoice'];
  providerOptions?: ModelCallOptions['providerOptions'];
}

type ModelCallOptions = Parameters<ModelV4['doStream']>[0];

/** One turn's model calls: the model, the prompt so far, the tools, the step cap and the settings. */
export interface StepsCall {
  model: LanguageModel;
  instructions: SystemModelMessage[];
  messages: ModelMessage[];
  tools: ToolSet;
  /** Most model calls; each tool round trip is one. */
  maxSteps: number;
  /** The agent's sampling settings, passed to every model call. */
  settings?: ModelSettings;
  abortSignal?: AbortSignal | undefined;
}

/** What a turn streams as it happens: reasoning and text as they arrive, each tool call, and its result. */
export type StepEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | Extract<StepContent, { type: 'tool-call' | 'tool-result' | 'tool-error' }>;

/** One model call of the loop: calls `model` with `options` and returns the finished step. */
export type StepCall = (model: ModelV4, options: ModelCallOptions, messages: ModelMessage[]) => Promise<Step>;

/**
 * The tool loop both `streamSteps` and `generateSteps` run: per step, the prompt in the model's
 * form, one model call (`callStep`), then on to the next step while the model called tools that ran
 * here and steps remain.
 */
export async function runSteps(call: StepsCall, callStep: StepCall): Promise<Step[]> {
  const model = resolveLanguageModel(call.model);
  const tools = (await prepareTools({ tools: call.tools })) ?? [];
  const hasTools = tools.length > 0;
  const { toolChoice, ...settings } = call.settings ?? {};
  const supportedUrls = await model.supportedUrls;
  const messages = [...call.messages];
  const steps: Step[] = [];
  for (let index = 0; index < call.maxSteps; index++) {
    const prompt = await convertToLanguageModelPrompt({
      // A stateless turn's client may send system messages between others (the stored history holds none).
      prompt: await standardizePrompt({ instructions: call.instructions, messages, allowSystemInMessages: true }),
      supportedUrls,
      download: undefined,
      ...(call.abortSignal ? { abortSignal: call.abortSignal } : {}),
    });
    const step = await callStep(
      model,
      {
        prompt,
        ...settings,
        ...(hasTools ? { tools, toolChoice: toolChoice ?? { type: 'auto' } } : {}),
        ...(call.abortSignal ? { abortSignal: call.abortSignal } : {}),
      },
      messages,
    );
    steps.push(step);
    const toolCalls = step.content.filter((part) => part.type === 'tool-call');
    // A call of a client-side tool (one without `execute`) goes back to the caller, who runs it.
    if (toolCalls.length === 0 || index + 1 === call.maxSteps || hasClientCall(step, call.tools)) break;
    messages.push(...(await stepMessages(step, call.tools)));
  }
  return steps;
}

/** What one model call answered: its reasoning and text, its tool calls (not yet parsed), how it ended. */
export interface ModelAnswer {
  reasoning: string[];
  texts: string[];
  calls: ToolCallPart[];
  usage: LanguageModelUsage | undefined;
  finishReason: Step['finishReason'];
}

/** Parses the answer's tool calls, runs those of server-side tools, and returns the step. */
export async function finishStep(
  answer: ModelAnswer,
  call: StepsCall,
  messages: ModelMessage[],
  onEvent: (event: StepEvent) => void,
): Promise<Step> {
  const abort = call.abortSignal;
  const { usage, finishReason } = answer;
  const content: StepContent[] = [];
  // Reasoning first: the model thought before it wrote (the stored order is the order shown).
  for (const text of answer.reasoning) content.push({ type: 'reasoning', text });
  for (const text of answer.texts) content.push({ type: 'text', text });
  const parsed = await Promise.all(
    answer.calls.map((toolCall) =>
      parseToolCall({
        toolCall,
        tools: call.tools,
        repairToolCall: undefined,
        instructions: call.instructions,
        messages,
        ...(abort ? { abortSignal: abort } : {}),
      }),
    ),
  );
  for (const toolCall of parsed) {
    const part = {
      type: 'tool-call',
      toolCallId: toolCall.toolCallId,
      toolName: toolCall.toolName,
      input: toolCall.input,
    };
    content.push(part as StepContent);
    onEvent(part as StepEvent);
  }
  // Client-side tools are not run here: their calls are the step's output for the caller.
  const serverCalls = parsed.filter((toolCall) => !isClientTool(call.tools, toolCall.toolName));
  const outcomes = await Promise.all(serverCalls.map((toolCall) => runTool(toolCall, call, messages)));
  for (const outcome of outcomes) {
    content.push(outcome);
    onEvent(outcome);
  }
  return { content, usage, ...(finishReason ? { finishReason } : {}) };
}

/** A tool the caller declared without `execute` (a client-side function tool). */
export function isClientTool(tools: ToolSet, name: string): boolean {
  return Object.hasOwn(tools, name) && tools[name]?.execute === undefined;
}

/** Whether the step called a client-side tool: the turn ends there, and the caller runs it. */
export function hasClientCall(step: Step, tools: ToolSet): boolean {
  return step.content.some((part) => part.type === 'tool-call' && isClientTool(tools, part.toolName));
}

type ParsedToolCall = Awaited<ReturnType<typeof parseToolCall<ToolSet>>>;

/** One tool call's outcome; a tool that throws (or a call that did not parse) is a `tool-error`. */
async function runTool(
  toolCall: ParsedToolCall,
  call: StepsCall,
  messages: ModelMessage[],
): Promise<Extract<StepContent, { type: 'tool-result' | 'tool-error' }>> {
  const { toolCallId, toolName, input } = toolCall;
  const failed = (error: unknown) => ({ type: 'tool-error' as const, toolCallId, toolName, input, error });
  if ('invalid' in toolCall && toolCall.invalid) return failed(toolCall.error);
  const execute = Object.hasOwn(call.tools, toolName) ? call.tools[toolName]?.execute : undefined;
  if (!execute) return failed(new Error(`Tool ${toolName} cannot be run here`));
  try {
    const output: unknown = await execute(input, {
      toolCallId,
      messages,
      ...(call.abortSignal ? { abortSignal: call.abortSignal } : {}),
    } as Parameters<typeof execute>[1]);
    return { type: 'tool-result', toolCallId, toolName, input, output };
  } catch (error) {
    call.abortSignal?.throwIfAborted();
    return failed(error);
  }
}

/** The step as messages for the next model call: the assistant's text and calls, then the results. */
async function stepMessages(step: Step, tools: ToolSet): Promise<ModelMessage[]> {
  const assistant: Extract<ModelMessage, { role: 'assistant' }>['content'] = [];
  const results: Extract<ModelMessage, { role: 'tool' }>['content'] = [];
  for (const part of step.content) {
    if (part.type === 'text') assistant.push({ type: 'text', text: part.text });
    // Reasoning stays out of the next call, as it stays out of the stored history's context.
    else if (part.type === 'reasoning') continue;
    else if (part.type === 'tool-call') assistant.push({ ...part });
    else {
      const isError = part.type === 'tool-error';
      const output = await createToolModelOutput({
        toolCallId: part.toolCallId,
        input: part.input,
        output: isError ? part.error : part.output,
        tool: Object.hasOwn(tools, part.toolName) ? tools[part.toolName] : undefined,
        errorMode: isError ? 'text' : 'none',
      });
      results.push({ type: 'tool-result', toolCallId: part.toolCallId, toolName: part.toolName, output });
    }
  }
  return [
    { role: 'assistant', content: assistant },
    { role: 'tool', content: results },
  ];
}
