import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TurnRequest, TurnResult } from '../../core/agents/run-agent.ts';
import type { ResponseSettings } from '../../core/responses/stored-response.ts';
import type { AppServices } from '../app-services.ts';
import { startBackgroundTurn } from '../background-turn.ts';
import { claimingTurns, settlingTurns } from '../idempotency.ts';
import { type StreamSettings, streamTurn } from '../sse/stream-turn.ts';
import type { ResponseResource } from './open-responses-schema.ts';
import { clientToolNames, toResponseResource } from './response-resource.ts';
import { outputOfMessages } from './response-stream-encoder.ts';
import { loadResponse } from './response-view.ts';
import { encoderOf, streamStoredResponse, toFrames } from './stream-response.ts';

/** Where a response runs and what it records, resolved from the request before the turn starts. */
export interface ResponsePlan {
  tenantId: string;
  sessionId: string;
  conversation: boolean;
  previousTurnId: string | null;
  /**
   * Set when the session was forked for this response (a branch from an older response), with its
   * message count as forked: a fork in which no turn started is removed again.
   */
  fork: { messageCount: number } | null;
  settings: ResponseSettings;
  turn: TurnRequest;
}

/**
 * Stores the response's settings once its turn has begun (its user message is stored): from then on
 * `GET /v1/responses/{id}` finds it. Nothing for `store: false`.
 */
function saver(services: AppServices, plan: ResponsePlan) {
  let saved: Promise<unknown> = Promise.resolve();
  return {
    begin(turnId: string) {
      if (!plan.settings.store) return;
      saved = services.storage.saveResponse(plan.tenantId, {
        turnId,
        sessionId: plan.sessionId,
        previousTurnId: plan.previousTurnId,
        conversation: plan.conversation,
        settings: plan.settings,
      });
    },
    done: () => saved,
  };
}

/** The response object of a finished turn, as the request that ran it answers. */
export function resourceOfResult(
  plan: Pick<ResponsePlan, 'settings' | 'previousTurnId'>,
  result: TurnResult,
): ResponseResource {
  const snapshot = { turnId: result.turnId, settings: plan.settings, previousTurnId: plan.previousTurnId };
  const last = result.messages.at(-1);
  return toResponseResource({
    ...snapshot,
    createdAt: Date.parse(result.userMessage.createdAt),
    status: 'completed',
    output: outputOfMessages(result.turnId, snapshot, result.messages, clientToolNames(plan.settings)),
    usage: result.usage,
    error: null,
    completedAt: last ? Date.parse(last.createdAt) : null,
  });
}

/** Runs a planned response as JSON, as a live stream, or in the background (202-free: OpenAI answers 200). */
export async function runResponse(
  services: AppServices,
  request: FastifyRequest,
  reply: FastifyReply,
  plan: ResponsePlan,
  options: { stream: boolean; background: boolean; streams: StreamSettings },
): Promise<ResponseResource | FastifyReply> {
  const save = saver(services, plan);
  if (options.background) {
    const start = await startBackgroundTurn(services, plan.turn, request.log);
    save.begin(start.turnId);
    await save.done();
    const { stored, view } = await loadResponse(services, plan.tenantId, start.turnId);
    if (!options.stream) return toResponseResource(view);
    return streamStoredResponse(services, request, reply, {
      tenantId: plan.tenantId,
      stored,
      startingAfter: -1,
      heartbeatMs: options.streams.heartbeatMs,
    });
  }
  if (options.stream) {
    let encoder: ReturnType<typeof encoderOf> | null = null;
    try {
      // With an Idempotency-Key, a retry gets the completed response as JSON (a stream is not replayed).
      const settling = settlingTurns(services, request, reply, (result) => resourceOfResult(plan, result));
      return await streamTurn(settling, request, reply, plan.turn, options.streams, (event) => {
        if (event.type === 'turn-start') {
          save.begin(event.turnId);
          encoder = encoderOf({ turnId: event.turnId, settings: plan.settings, previousTurnId: plan.previousTurnId });
        }
        return encoder ? toFrames(encoder.encode(event)) : [];
      });
    } finally {
      await save.done().catch((error: unknown) => request.log.error({ err: error }, 'could not store a response'));
    }
  }
  try {
    // Under the request's Idempotency-Key claim, if it holds one: the key completes with the turn.
    const result = await claimingTurns(services, request).runTurn({
      ...plan.turn,
      onEvent(event) {
        if (event.type === 'turn-start') save.begin(event.turnId);
      },
    });
    await save.done();
    return resourceOfResult(plan, result);
  } catch (error) {
    // A turn that began and then failed keeps its response (status `failed`), as a stream's does.
    await save
      .done()
      .catch((saveError: unknown) => request.log.error({ err: saveError }, 'could not store a response'));
    throw error;
  }
}
