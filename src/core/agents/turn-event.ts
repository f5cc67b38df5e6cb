import type { Message, Usage } from '../conversations/message.ts';

/** What a turn emits, before the pipeline numbers it. */
export type TurnEventBody =
  | { type: 'turn-start'; turnId: string; sessionId: string; userMessage: Message }
  | { type: 'text-delta'; turnId: string; delta: string }
  /** The model's reasoning as it arrives, where the provider gives it (before the text it leads to). */
  | { type: 'reasoning-delta'; turnId: string; delta: string }
  | {
      type: 'tool-call';
      turnId: string;
      toolCallId: string;
      toolName: string;
      input: unknown;
      /** A call of a client-side tool: not run here, it ends the turn for the caller to run. */
      clientSide?: true;
    }
  | { type: 'tool-result'; turnId: string; toolCallId: string; toolName: string; output: unknown; isError: boolean }
  | { type: 'turn-end'; turnId: string; messages: Message[]; usage: Usage; latencyMs: number }
  | { type: 'error'; turnId: string; code: string; message: string };

/**
 * Events a turn emits while it runs, in order: one `turn-start`, any number of `reasoning-delta`,
 * `text-delta`, `tool-call` and `tool-result`, then exactly one `turn-end` or `error`. `seq` numbers the events
 * of one turn 1, 2, 3… without gaps, so a client that reconnects can say what it has seen.
 */
export type TurnEvent = TurnEventBody & { seq: number };

/** Whether the event is the last of its turn. */
export function isFinalTurnEvent(event: TurnEventBody): boolean {
  return event.type === 'turn-end' || event.type === 'error';
}
