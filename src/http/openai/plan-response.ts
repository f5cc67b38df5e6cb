import type { FastifyRequest } from 'fastify';
import type { CallSettings, ClientTool, TurnInput } from '../../core/agents/turn-input.ts';
import { AppError } from '../../core/errors.ts';
import type { AppServices } from '../app-services.ts';
import { modelTurn } from '../routes/openai/model-target.ts';
import { openAiTenant } from './conversation-access.ts';
import { inputMessages, storedCallNames } from './input-messages.ts';
import type { CreateResponseBody } from './response-request.ts';
import { functionToolSchema, responseSettingsOf } from './response-request.ts';
import { turnIdOf } from './response-resource.ts';
import type { ResponsePlan } from './run-response.ts';

/** Stored messages read to name the tool calls a caller's `function_call_output` answers. */
const RECENT_MESSAGES = 50;

function unsupported(param: string, message: string): AppError {
  return new AppError('UNSUPPORTED_PARAMETER', message, { details: { param } });
}

function clientToolsOf(body: CreateResponseBody): ClientTool[] {
  return (body.tools ?? []).map((tool) => {
    // Checked by `refuseUnsupported` already: every tool is a valid function tool here.
    const { name, description, parameters, strict } = functionToolSchema.parse(tool);
    return {
      name,
      ...(description ? { description } : {}),
      parameters: parameters ?? { type: 'object', properties: {} },
      ...(strict != null ? { strict } : {}),
    };
  });
}

function callSettingsOf(body: CreateResponseBody): CallSettings {
  const format = body.text?.format;
  const choice = body.tool_choice;
  return {
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.max_output_tokens != null ? { maxOutputTokens: body.max_output_tokens } : {}),
    ...(format?.type === 'json_object' ? { responseFormat: { type: 'json' as const } } : {}),
    ...(format?.type === 'json_schema'
      ? {
          responseFormat: {
            type: 'json' as const,
            schema: format.schema,
            name: format.name,
            ...(format.description ? { description: format.description } : {}),
            ...(format.strict != null ? { strict: format.strict } : {}),
          },
        }
      : {}),
    ...(choice ? { toolChoice: typeof choice === 'string' ? choice : { toolName: choice.name } } : {}),
  };
}

interface Continued {
  sessionId: string;
  previousTurnId: string | null;
  conversation: boolean;
  /** Set when the previous response is not the newest turn of its session: the turn runs in a fork of it. */
  forkOf: { sessionId: string; turnId: string } | null;
}

/**
 * The session a response continues; null for a response without one. A previous response that is
 * the newest turn of its session continues that session; an older one branches: the turn runs in a
 * fork of the session (made by `forkFor`, once everything else about the request is checked).
 */
async function continuedSession(
  services: AppServices,
  tenantId: string,
  body: CreateResponseBody,
): Promise<Continued | null> {
  const conversationId = typeof body.conversation === 'string' ? body.conversation : body.conversation?.id;
  if (conversationId) {
    if (!(await services.storage.getSession(tenantId, conversationId))) {
      throw new AppError('SESSION_NOT_FOUND', 'Conversation not found', { details: { param: 'conversation' } });
    }
    return { sessionId: conversationId, previousTurnId: null, conversation: true, forkOf: null };
  }
  if (!body.previous_response_id) return null;
  const previousTurnId = turnIdOf(body.previous_response_id);
  const previous = previousTurnId ? await services.storage.getResponse(tenantId, previousTurnId) : null;
  if (!previous) {
    throw new AppError('RESPONSE_NOT_FOUND', 'Response not found', { details: { param: 'previous_response_id' } });
  }
  const [newest] = await services.storage.listMessages(tenantId, previous.sessionId, {
    limit: 1,
    cursorSeq: null,
    order: 'desc',
  });
  if (newest?.turnId !== previousTurnId) {
    const forkOf = { sessionId: previous.sessionId, turnId: previousTurnId as string };
    return { sessionId: services.newId('ses'), previousTurnId, conversation: false, forkOf };
  }
  return { sessionId: previous.sessionId, previousTurnId, conversation: previous.conversation, forkOf: null };
}

/**
 * Makes the fork a branch runs in: the previous response's session up to and including its turn,
 * copied within the tenant in one transaction. A previous response whose turn is gone meanwhile
 * answers as missing.
 */
async function forkFor(
  services: AppServices,
  tenantId: string,
  continued: Continued,
): Promise<{ messageCount: number } | null> {
  if (!continued.forkOf) return null;
  const fork = await services.storage.forkSession(tenantId, {
    id: continued.sessionId,
    sourceSessionId: continued.forkOf.sessionId,
    throughTurnId: continued.forkOf.turnId,
  });
  if (!fork) {
    throw new AppError('RESPONSE_NOT_FOUND', 'Response not found', { details: { param: 'previous_response_id' } });
  }
  return { messageCount: fork.messageCount };
}

/**
 * Where and how a response runs. With `conversation` or `previous_response_id` the turn continues
 * that session (its stored history, then the caller's input items); a previous response that is
 * not the newest turn there branches: the turn runs in a new session forked at that response (see
 * `forkFor`), and the original stays as it was. Otherwise the input is the whole
 * context: stored as a new session (`store`, the default) or not at all (`store: false`). Every id
 * is looked up in the credential's tenant only, so another tenant's conversation or response
 * answers exactly as a missing one; `model` names one of its agents or allowed models.
 */
export async function planResponse(
  services: AppServices,
  request: FastifyRequest,
  body: CreateResponseBody,
): Promise<ResponsePlan> {
  const { tenantId, access } = await openAiTenant(services, request);
  if (body.input === undefined || body.input.length === 0) {
    throw new AppError('VALIDATION_FAILED', 'input: must not be empty', { details: { param: 'input' } });
  }
  if (body.parallel_tool_calls === false) {
    throw unsupported('parallel_tool_calls', 'parallel_tool_calls: false is not supported');
  }
  const store = body.store ?? true;
  const continued = await continuedSession(services, tenantId, body);
  if (continued && !store) {
    throw unsupported('store', 'store: false cannot continue a conversation or a previous response');
  }
  const model = await modelTurn(services, access, body.model ?? 'default');
  // A branch's tool outputs answer the calls of the response it branches from.
  const recent = !continued
    ? []
    : continued.forkOf
      ? await services.storage.getTurn(tenantId, continued.forkOf.turnId)
      : await services.storage.listMessages(tenantId, continued.sessionId, {
          limit: RECENT_MESSAGES,
          cursorSeq: null,
          order: 'desc',
        });
  const { messages, text } = inputMessages(body.input, body.instructions ?? null, storedCallNames(recent));
  const input: TurnInput = {
    messages,
    history: continued ? 'session' : 'none',
    agentPrompt: model.target.kind === 'agent',
    store: continued || !store ? null : { title: null, metadata: {} },
  };
  const sessionId = continued?.sessionId ?? services.newId('ses');
  const clientTools = clientToolsOf(body);
  // Last: a request refused above leaves no fork behind.
  const fork = continued ? await forkFor(services, tenantId, continued) : null;
  return {
    tenantId,
    sessionId,
    conversation: continued?.conversation ?? false,
    previousTurnId: continued?.previousTurnId ?? null,
    fork,
    settings: responseSettingsOf(body, body.model ?? 'default'),
    turn: {
      tenantId,
      sessionId,
      text,
      language: null,
      requestId: request.id,
      config: model.config,
      agentId: model.agentId,
      actor: access.actor,
      limits: model.limits,
      sessionConcurrency: continued ? (model.config.config.sessionConcurrency ?? 'enqueue') : null,
      input,
      ...(clientTools.length > 0 ? { clientTools } : {}),
      callSettings: callSettingsOf(body),
    },
  };
}
