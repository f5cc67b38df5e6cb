import type { Message } from '../../core/conversations/message.ts';
import { AppError } from '../../core/errors.ts';
import type { StoredResponse } from '../../core/responses/stored-response.ts';
import { turnOutcomeOf, turnUsageOf } from '../../core/turns/turn-outcome.ts';
import type { AppServices } from '../app-services.ts';
import { clientToolNames, type ResponseStatus, type ResponseView } from './response-resource.ts';
import { outputOfMessages } from './response-stream-encoder.ts';

const STATUS = { completed: 'completed', cancelled: 'cancelled', failed: 'failed', open: 'in_progress' } as const;

const ERRORS: Partial<Record<ResponseStatus, { code: string; message: string }>> = {
  failed: { code: 'PROVIDER_ERROR', message: 'The model call failed' },
  cancelled: { code: 'TURN_CANCELLED', message: 'The response was cancelled' },
};

/**
 * A stored response of the tenant and its state, from storage alone (so any replica answers, and
 * after its events are gone): RESPONSE_NOT_FOUND for a turn the tenant has no response for.
 */
export async function loadResponse(
  services: Pick<AppServices, 'storage' | 'turns'>,
  tenantId: string,
  turnId: string,
): Promise<{ stored: StoredResponse; view: ResponseView; messages: Message[] }> {
  const stored = await services.storage.getResponse(tenantId, turnId);
  if (!stored) throw new AppError('RESPONSE_NOT_FOUND');
  // Running is asked before the messages are read: the outcome is stored before the mark goes.
  const running = await services.turns.isRunning(tenantId, turnId);
  const messages = await services.storage.getTurn(tenantId, turnId);
  const user = messages.find((message) => message.role === 'user' && message.id === turnId);
  if (!user) throw new AppError('RESPONSE_NOT_FOUND');
  const outcome = messages.filter((message) => message !== user);
  const status: ResponseStatus = STATUS[turnOutcomeOf(outcome, running)];
  const snapshot = { turnId, settings: stored.settings, previousTurnId: stored.previousTurnId };
  const last = outcome.at(-1);
  return {
    stored,
    messages,
    view: {
      ...snapshot,
      createdAt: Date.parse(user.createdAt),
      status,
      output: outputOfMessages(turnId, snapshot, outcome, clientToolNames(stored.settings)),
      usage: turnUsageOf(outcome),
      error: ERRORS[status] ?? null,
      completedAt: status === 'completed' && last ? Date.parse(last.createdAt) : null,
    },
  };
}
