import type { TurnResult } from '../../core/agents/run-agent.ts';
import { toMessageJson, toUsageJson } from './message.ts';

/** A completed turn as `POST /v1/sessions/{id}/messages` answers it in JSON (and stores it for replay). */
export const toTurnJson = (result: TurnResult) => ({
  turn_id: result.turnId,
  user_message: toMessageJson(result.userMessage),
  messages: result.messages.map(toMessageJson),
  reply: toMessageJson(result.reply),
  usage: toUsageJson(result.usage),
  latency_ms: Math.round(result.latencyMs),
});
