import type { ContentPart, NewMessage } from '../../src/core/conversations/message.ts';
import { createIds } from '../../src/core/ids.ts';

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
