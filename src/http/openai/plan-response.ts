import type { FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { AppServices } from '../app-services.ts';
import { sessionAgent } from '../session-agent.ts';
import { openAiTenant } from './conversation-access.ts';
import { itemText } from './conversation-items.ts';
import { type CreateResponseBody, responseSettingsOf } from './response-request.ts';
import { turnIdOf } from './response-resource.ts';
import type { ResponsePlan } from './run-response.ts';

function notFound(param: string): AppError {
  return new AppError('RESPONSE_NOT_FOUND', 'Response not found', { details: { param } });
}

/** The text the turn sends: the input string, or the text of its user message items. */
function inputText(input: CreateResponseBody['input']): string {
  if (input === undefined || (typeof input === 'string' && input.length === 0)) {
    throw new AppError('VALIDATION_FAILED', 'input: must not be empty', { details: { param: 'input' } });
  }
  if (typeof input === 'string') return input;
  const texts = input.map((item, index) => {
    if (item.type !== 'message' || item.role !== 'user') {
      throw new AppError('RESPONSE_PARAMETER_UNSUPPORTED', `input[${index}]: only user messages are supported here`, {
        details: { param: `input[${index}]` },
      });
    }
    return itemText(item.content, `input[${index}]`);
  });
  return texts.join('\n\n');
}

/**
 * Where a response runs: the conversation named (a session of the tenant), the session of the
 * previous response (which must be the newest turn there: Enclave does not branch a conversation),
 * or a new session. Every id is looked up in the credential's tenant only, so another tenant's
 * conversation or response answers exactly as a missing one.
 */
export async function planResponse(
  services: AppServices,
  request: FastifyRequest,
  body: CreateResponseBody,
): Promise<ResponsePlan> {
  const { tenantId, userId, access } = await openAiTenant(services, request);
  const text = inputText(body.input);
  let sessionId: string;
  let previousTurnId: string | null = null;
  let createdSession = false;
  const conversationId = typeof body.conversation === 'string' ? body.conversation : body.conversation?.id;
  if (conversationId) {
    if (!(await services.storage.getSession(tenantId, conversationId))) {
      throw new AppError('SESSION_NOT_FOUND', 'Conversation not found', { details: { param: 'conversation' } });
    }
    sessionId = conversationId;
  } else if (body.previous_response_id) {
    previousTurnId = turnIdOf(body.previous_response_id);
    const previous = previousTurnId ? await services.storage.getResponse(tenantId, previousTurnId) : null;
    if (!previous) throw notFound('previous_response_id');
    const [newest] = await services.storage.listMessages(tenantId, previous.sessionId, {
      limit: 1,
      cursorSeq: null,
      order: 'desc',
    });
    if (newest?.turnId !== previousTurnId) {
      throw new AppError(
        'RESPONSE_PARAMETER_UNSUPPORTED',
        'previous_response_id must name the newest response of its conversation (branching is not supported)',
        { details: { param: 'previous_response_id' } },
      );
    }
    sessionId = previous.sessionId;
  } else {
    const session = await services.conversations.createSession(
      tenantId,
      { ...(userId ? { userId } : {}) },
      { createTenant: request.principal.kind === 'open' },
    );
    sessionId = session.id;
    createdSession = true;
  }
  const agent = await sessionAgent(services, access, sessionId);
  const settings = responseSettingsOf(body, body.model ?? agent.agentId);
  return {
    tenantId,
    sessionId,
    createdSession,
    conversation: conversationId !== undefined,
    previousTurnId,
    settings,
    turn: {
      tenantId,
      sessionId,
      text,
      language: null,
      requestId: request.id,
      config: agent.config,
      agentId: agent.agentId,
      actor: access.actor,
      limits: agent.limits,
      sessionConcurrency: agent.config.config.sessionConcurrency ?? 'enqueue',
    },
  };
}
