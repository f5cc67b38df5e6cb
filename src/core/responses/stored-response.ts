/**
 * The request settings of a Responses API response that its turn does not keep itself, as the
 * response object repeats them (docs/openai-responses.md). Snake case, as the wire has them.
 */
export interface ResponseSettings {
  /** The `model` the client named (an agent id or `provider/model`). */
  model: string;
  instructions: string | null;
  metadata: Record<string, string>;
  /** Client-side function tools offered, in the wire shape. */
  tools: unknown[];
  tool_choice: unknown;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  parallel_tool_calls: boolean;
  text: unknown;
  background: boolean;
  store: boolean;
}

/** A stored response: the turn that produced it, its session (conversation) and settings. */
export interface StoredResponse {
  turnId: string;
  sessionId: string;
  /** The turn of `previous_response_id`, when the request chained from one. */
  previousTurnId: string | null;
  /** Whether the request named the conversation (else the session was created for the response). */
  conversation: boolean;
  settings: ResponseSettings;
  createdAt: string;
}
