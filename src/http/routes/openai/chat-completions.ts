import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TurnRequest, TurnResult } from '../../../core/agents/run-agent.ts';
import type { TurnEvent } from '../../../core/agents/turn-event.ts';
import { isUserId } from '../../../core/auth/user-id.ts';
import { AppError, isAppError } from '../../../core/errors.ts';
import { type TenantAccess, tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { claimingTurns, settlingTurns } from '../../idempotency.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import {
  type ChatRequest,
  callSettingsOf,
  chatRequestSchema,
  clientToolsOf,
  lastUserText,
  refuseUnsupported,
  toModelMessages,
} from './chat-request.ts';
import {
  type CompletionIdentity,
  chatCompletionSchema,
  chunk,
  completionIdOf,
  finishReasonOf,
  toChatCompletion,
  toToolCallWire,
  toUsageWire,
} from './chat-response.ts';
import { modelTurn } from './model-target.ts';
import { openAiErrors, toOpenAiError } from './openai-error.ts';

export const CHAT_COMPLETIONS_URL = '/v1/chat/completions';

/**
 * `POST /v1/chat/completions`: OpenAI's Chat Completions over the one turn pipeline. Stateless (the
 * caller's messages are the context); `store: true` keeps the call as a session too.
 */
export function chatCompletionRoutes(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      CHAT_COMPLETIONS_URL,
      {
        schema: {
          tags: ['openai'],
          summary: 'Create a chat completion (OpenAI-compatible)',
          description:
            'OpenAI\'s Chat Completions wire format. `model` names one of your agents (its id or name, or `default`): its system prompt, language and server-side tools apply before your messages; or a `provider/model` your tenant may use, called with your messages alone. Function `tools` are client-side: their calls come back with `finish_reason: "tool_calls"` and you continue with `role: "tool"` messages. With `stream: true` the answer is SSE `chat.completion.chunk` events ending in `data: [DONE]` (`stream_options.include_usage` adds a last chunk with usage). Stateless, recorded in usage; `store: true` also keeps it as a session. Parameters Enclave does not honour (n > 1, audio, logprobs, …) answer 400 `unsupported_parameter`. Errors use OpenAI\'s error body. See docs/openai-compatibility.md.',
          headers: z.looseObject({
            'tenant-id': z.string().optional(),
            'idempotency-key': z
              .string()
              .optional()
              .describe('Makes the call exactly-once: a retry with the same key and body gets the first response.'),
          }),
          body: chatRequestSchema,
          response: {
            200: chatCompletionSchema.describe(
              'The completion (JSON), or with `stream: true` an SSE stream of chunks.',
            ),
            ...openAiErrors(400, 401, 403, 404, 409, 413, 415, 422, 429, 502, 503, 504),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        refuseUnsupported(body);
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const target = await modelTurn(services, access, body.model);
        const clientTools = clientToolsOf(body);
        const turn: TurnRequest = {
          tenantId: access.tenantId,
          sessionId: services.newId('ses'),
          text: lastUserText(body.messages),
          requestId: request.id,
          config: target.config,
          agentId: target.agentId,
          actor: actorOf(access, body.user),
          limits: target.limits,
          input: {
            messages: toModelMessages(body.messages),
            history: 'none',
            agentPrompt: target.target.kind === 'agent',
            store: body.store ? { title: null, metadata: { ...body.metadata, source: 'chat.completions' } } : null,
          },
          ...(clientTools.length > 0 ? { clientTools } : {}),
          callSettings: callSettingsOf(body),
        };
        const created = Math.floor(Date.now() / 1000);
        const identity = (turnId: string): CompletionIdentity => ({
          id: completionIdOf(turnId),
          created,
          model: body.model,
        });
        if (!body.stream) {
          const result = await claimingTurns(services, request).runTurn(turn);
          return toChatCompletion(identity(result.turnId), result);
        }
        const render = (result: TurnResult) => toChatCompletion(identity(result.turnId), result);
        return streamCompletion(settlingTurns(services, request, reply, render), request, reply, turn, {
          identity,
          includeUsage: body.stream_options?.include_usage === true,
        });
      },
    );
  };
}

/**
 * The end user a call is charged to: the credential's (a JWT's subject) or, for an API key, the
 * body's `user`. A `user` that differs from the credential's end user is refused: a caller cannot
 * charge (or hide) usage under another end user than the one it signed in as.
 */
function actorOf(access: TenantAccess, user: ChatRequest['user']): TenantAccess['actor'] {
  if (user === undefined || user === '') return access.actor;
  if (!isUserId(user)) {
    throw new AppError('VALIDATION_FAILED', 'user: must be 1 to 128 letters, digits or . _ : @ | -', {
      details: { param: 'user' },
    });
  }
  if (access.actor.userId !== null && access.actor.userId !== user) {
    throw new AppError('VALIDATION_FAILED', "user: differs from the credential's end user", {
      details: { param: 'user' },
    });
  }
  return { ...access.actor, userId: user };
}

/**
 * Streams the turn as `chat.completion.chunk` SSE events: a first chunk with the role, one per text
 * delta (`content`), reasoning delta (`reasoning_content`) and client tool call, a last one with the finish reason, the usage chunk when asked,
 * then `data: [DONE]`. The stream opens with the first output: a failure before it answers as an
 * OpenAI error response; one after it is an `error` event (the SDKs raise it), and no `[DONE]`. A client that goes away cancels
 * the turn: nothing can resume a chat completion stream.
 */
async function streamCompletion(
  services: AppServices,
  request: FastifyRequest,
  reply: FastifyReply,
  turn: TurnRequest,
  options: { identity: (turnId: string) => CompletionIdentity; includeUsage: boolean },
): Promise<FastifyReply> {
  const abort = new AbortController();
  const usage = { include: options.includeUsage };
  let turnId: string | null = null;
  let identity: CompletionIdentity | null = null;
  let toolIndex = 0;
  const write = (data: unknown) => reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
  reply.raw.once('close', () => {
    if (identity) services.metrics.streamClosed();
    if (!reply.raw.writableEnded) abort.abort(new AppError('TURN_CANCELLED', 'The client went away'));
  });
  // The stream opens with the model's first output, so a failure before it (a provider's 429 or
  // 5xx, a limit) is still an HTTP error the SDKs map to their classes, with its status and headers.
  const open = (): CompletionIdentity => {
    if (identity) return identity;
    identity = options.identity(turnId ?? '');
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    services.metrics.streamOpened();
    write(chunk(identity, { delta: { role: 'assistant', content: '' }, finish_reason: null }, usage));
    return identity;
  };
  const onEvent = (event: TurnEvent) => {
    turnId ??= event.turnId;
    if (event.type === 'text-delta') {
      write(chunk(open(), { delta: { content: event.delta }, finish_reason: null }, usage));
    } else if (event.type === 'reasoning-delta') {
      write(chunk(open(), { delta: { reasoning_content: event.delta }, finish_reason: null }, usage));
    } else if (event.type === 'tool-call' && event.clientSide) {
      const call = { index: toolIndex++, ...toToolCallWire(event) };
      write(chunk(open(), { delta: { tool_calls: [call] }, finish_reason: null }, usage));
    }
  };
  let result: TurnResult;
  try {
    result = await services.runTurn({ ...turn, signal: abort.signal, onEvent });
  } catch (error) {
    if (!identity) throw error;
    if (!isAppError(error)) request.log.error({ err: error }, 'streamed chat completion failed');
    const failure = isAppError(error) ? error : new AppError('INTERNAL_ERROR');
    if (!reply.raw.writableEnded) reply.raw.end(`data: ${JSON.stringify(toOpenAiError(failure))}\n\n`);
    return reply;
  }
  if (reply.raw.destroyed || reply.raw.writableEnded) return reply;
  const opened = open();
  write(chunk(opened, { delta: {}, finish_reason: finishReasonOf(result) }, usage));
  if (options.includeUsage) write(chunk(opened, null, { include: true, value: toUsageWire(result.usage) }));
  reply.raw.end('data: [DONE]\n\n');
  return reply;
}
