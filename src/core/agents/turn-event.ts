import type { Message, Usage } from '../conversations/message.ts';

/**
 * Events a turn emits while it runs, in order: one `turn-start`, any number of `text-delta`,
 * `tool-call` and `tool-result`, then exactly one `turn-end` or `error`.
 */
export type TurnEvent =
  | { type: 'turn-start'; turnId: string; sessionId: string; userMessage: Message }
  | { type: 'text-delta'; turnId: string; delta: string }
  | { type: 'tool-call'; turnId: string; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; turnId: string; toolCallId: string; toolName: string; output: unknown; isError: boolean }
  | { type: 'turn-end'; turnId: string; messages: Message[]; usage: Usage; latencyMs: number }
  | { type: 'error'; turnId: string; code: string; message: string };
