/** Who wrote a message. `tool` messages carry tool results. */
export type Role = 'user' | 'assistant' | 'tool';

/** `completed` is stored and final; `failed` marks a turn whose model call did not finish. */
export type MessageStatus = 'completed' | 'failed' | 'cancelled';

export type ContentPart =
  | { type: 'text'; text: string }
  /** The model's reasoning (thinking) text, where the provider gives it; kept with the assistant message, never sent back to a model. */
  | { type: 'reasoning'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output: unknown; isError?: boolean };

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface ToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** A message as stored. `seq` is unique and gap-free within a session. */
export interface Message {
  id: string;
  tenantId: string;
  sessionId: string;
  seq: number;
  /** The id of the user message that started the turn this message belongs to. */
  turnId: string;
  role: Role;
  status: MessageStatus;
  content: ContentPart[];
  toolCalls: ToolCall[] | null;
  /** True on the assistant message that ends a turn (the reply shown to the user). */
  final: boolean;
  usage: Usage | null;
  model: string | null;
  latencyMs: number | null;
  requestId: string | null;
  /** The tenant config version that produced this message (assistant messages). */
  configVersion: number | null;
  /**
   * The agent whose version `configVersion` is (assistant messages); null or absent on messages
   * stored before agents existed, which the default agent produced.
   */
  agentId?: string | null;
  /** The end user whose turn this message belongs to (JWT `sub`), for erasure; null when unknown. */
  userId: string | null;
  createdAt: string;
}

/** A message to append; storage assigns `seq`, `tenantId`, `sessionId` and `createdAt`. */
export type NewMessage = Omit<Message, 'tenantId' | 'sessionId' | 'seq' | 'createdAt'>;

/** Plain text of a message: its text parts joined. */
export function messageText(content: readonly ContentPart[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}
