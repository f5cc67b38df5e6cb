import { jsonSchema, type ModelMessage, type ToolSet, tool } from 'ai';
import { AppError } from '../errors.ts';
import type { ModelSettings, SamplingSettings } from './step-loop.ts';

/**
 * A function tool the caller runs itself (OpenAI `tools` of type `function`): offered to the model,
 * never run by the server. A call of it ends the turn with finish reason `tool-calls`, and the
 * caller continues with the result in its next request.
 */
export interface ClientTool {
  name: string;
  description?: string;
  /** The arguments' JSON Schema. */
  parameters: Record<string, unknown>;
  /** Ask the provider to hold the arguments to the schema exactly (OpenAI `strict`). */
  strict?: boolean;
}

/** Which tool the model must call: any or none (`auto`), none, at least one, or one by name. */
export type TurnToolChoice = 'auto' | 'none' | 'required' | { toolName: string };

/** The output's shape: free text, any JSON object, or JSON that follows `schema`. */
export type TurnResponseFormat =
  | { type: 'text' }
  | { type: 'json'; schema?: Record<string, unknown>; name?: string; description?: string; strict?: boolean };

/**
 * Settings a caller sends with one turn, over the agent's own (`temperature`, `maxOutputTokens`,
 * `stopSequences`): passed to every model call of the turn's tool loop.
 */
export interface CallSettings extends SamplingSettings {
  responseFormat?: TurnResponseFormat;
  toolChoice?: TurnToolChoice;
}

/**
 * A turn whose context the caller sends (the OpenAI APIs' `messages` / `input`), rather than the
 * next message of a stored session.
 */
export interface TurnInput {
  /**
   * The caller's messages in order: system, user, assistant (with tool calls) and tool results.
   * With `history: 'none'` they are the whole conversation; with `session` they follow the
   * session's stored history (and the turn's stored user message is their text, for display).
   */
  messages: ModelMessage[];
  /** `none`: stateless, no stored history is read. `session`: the session's history comes first. */
  history: 'none' | 'session';
  /**
   * Whether the agent's system prompt (and response language) come first. False for a gateway
   * call that names a plain `provider/model`: the caller's messages alone, and no server tools.
   */
  agentPrompt: boolean;
  /**
   * Stateless turns only: whether the turn is stored as a new session (`TurnRequest.sessionId`,
   * created with these fields) the console can show. When false nothing is stored but the usage record.
   */
  store: { title: string | null; metadata: Record<string, string> } | null;
}

/** Client tools as AI SDK tools without `execute`; a name the agent's tools already use is refused. */
export function clientToolSet(tools: readonly ClientTool[], serverTools: ToolSet): ToolSet {
  const set: ToolSet = {};
  for (const client of tools) {
    if (Object.hasOwn(serverTools, client.name) || Object.hasOwn(set, client.name)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `tools: the function name ${client.name} is taken (used twice, or by one of the agent's own tools)`,
      );
    }
    set[client.name] = tool({
      ...(client.description ? { description: client.description } : {}),
      inputSchema: jsonSchema(client.parameters as Parameters<typeof jsonSchema>[0]),
    });
  }
  return set;
}

/** The settings of each model call: the agent's, with the caller's over them. */
export function callModelSettings(agent: ModelSettings, call: CallSettings | undefined): ModelSettings {
  if (!call) return agent;
  const format = call.responseFormat;
  const strict = format?.type === 'json' && format.strict !== undefined ? format.strict : undefined;
  return {
    ...agent,
    ...(call.temperature !== undefined ? { temperature: call.temperature } : {}),
    ...(call.topP !== undefined ? { topP: call.topP } : {}),
    ...(call.presencePenalty !== undefined ? { presencePenalty: call.presencePenalty } : {}),
    ...(call.frequencyPenalty !== undefined ? { frequencyPenalty: call.frequencyPenalty } : {}),
    ...(call.maxOutputTokens !== undefined ? { maxOutputTokens: call.maxOutputTokens } : {}),
    ...(call.stopSequences?.length ? { stopSequences: call.stopSequences } : {}),
    ...(call.seed !== undefined ? { seed: call.seed } : {}),
    ...(format
      ? {
          responseFormat:
            format.type === 'text'
              ? { type: 'text' as const }
              : {
                  type: 'json' as const,
                  ...(format.schema ? { schema: format.schema as never } : {}),
                  ...(format.name ? { name: format.name } : {}),
                  ...(format.description ? { description: format.description } : {}),
                },
        }
      : {}),
    ...(strict !== undefined ? { providerOptions: { openai: { strictJsonSchema: strict } } } : {}),
    ...(call.toolChoice
      ? {
          toolChoice:
            typeof call.toolChoice === 'string'
              ? { type: call.toolChoice }
              : { type: 'tool' as const, toolName: call.toolChoice.toolName },
        }
      : {}),
  };
}
