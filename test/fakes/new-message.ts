import type { ContentPart, NewMessage } from '../../src/core/conversations/message.ts';
import { createIds } from '../../src/core/ids.ts';
import type { Storage } from '../../src/core/ports.ts';
import type { NewUsageRecord } from '../../src/core/usage/usage-record.ts';

const ids = createIds();

/**
 * A message as the pipeline hands it to storage: completed, not final, no usage, model or ids of
 * a request; a user message's id is its turn id. `extra` overrides any field.
 */
export function newMessage(
  role: NewMessage['role'],
  content: ContentPart[],
  turnId: string,
  extra: Partial<NewMessage> = {},
): NewMessage {
  return {
    id: role === 'user' ? turnId : ids.next('msg'),
    turnId,
    role,
    status: 'completed',
    content,
    toolCalls: null,
    final: false,
    usage: null,
    model: null,
    latencyMs: null,
    requestId: null,
    configVersion: null,
    userId: null,
    ...extra,
  };
}

/** The usage record of a completed turn of the simulated model (3 tokens in, 4 out, no tools); `extra` overrides any field. */
export function usageRecord(sessionId: string, turnId: string, extra: Partial<NewUsageRecord> = {}): NewUsageRecord {
  return {
    id: ids.next('use'),
    sessionId,
    turnId,
    keyId: null,
    userId: null,
    model: 'simulated:simulated-1',
    configVersion: 0,
    inputTokens: 3,
    outputTokens: 4,
    totalTokens: 7,
    toolCalls: 0,
    latencyMs: 1,
    status: 'completed',
    ...extra,
  };
}

/**
 * Stores a user message as a new turn in the tenant's session (creating both when missing), as the
 * pipeline's first write does; returns the turn id.
 */
export async function beginUserTurn(storage: Storage, tenantId: string, sessionId: string, text: string) {
  const turnId = ids.next('msg');
  await storage.beginTurn(tenantId, {
    sessionId,
    createTenant: true,
    createSession: { id: sessionId, title: null, userId: null, metadata: {} },
    message: newMessage('user', [{ type: 'text', text }], turnId),
  });
  return turnId;
}
