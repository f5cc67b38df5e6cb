import type { TurnEvent } from '../../core/agents/turn-event.ts';
import { toMessageJson, toUsageJson } from '../schemas/message.ts';

/**
 * The name a turn event goes out under: the SSE `event:` line, the WebSocket message `type`. A
 * turn's failure is `turn-error`: an event named `error` collides with the `error` event a browser
 * `EventSource` fires for a connection failure, so a page could not tell the two apart.
 * `legacyErrorEvent` (`STREAM_LEGACY_ERROR_EVENT=true`) keeps the old name for clients not yet migrated.
 */
export function turnEventName(event: TurnEvent, legacyErrorEvent: boolean): string {
  if (event.type !== 'error') return event.type;
  return legacyErrorEvent ? 'error' : 'turn-error';
}

/**
 * The JSON payload of a turn event, in snake_case like the rest of the API, with its `seq`. SSE
 * sends it as the `data` of an event named `turnEventName(event)`; the WebSocket adds that as `type`.
 */
export function turnEventJson(event: TurnEvent): Record<string, unknown> {
  const head = { seq: event.seq, turn_id: event.turnId };
  switch (event.type) {
    case 'turn-start':
      return { ...head, session_id: event.sessionId, user_message: toMessageJson(event.userMessage) };
    case 'text-delta':
    case 'reasoning-delta':
      return { ...head, delta: event.delta };
    case 'tool-call':
      return { ...head, tool_call_id: event.toolCallId, tool_name: event.toolName, input: event.input };
    case 'tool-result':
      return {
        ...head,
        tool_call_id: event.toolCallId,
        tool_name: event.toolName,
        output: event.output,
        is_error: event.isError,
      };
    case 'turn-end':
      return {
        ...head,
        messages: event.messages.map(toMessageJson),
        usage: toUsageJson(event.usage),
        latency_ms: Math.round(event.latencyMs),
      };
    case 'error':
      return { ...head, code: event.code, message: event.message };
  }
}
