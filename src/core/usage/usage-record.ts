/** One turn's entry in the usage ledger: exact, never sampled. */
export interface UsageRecord {
  id: string;
  tenantId: string;
  sessionId: string;
  turnId: string;
  keyId: string | null;
  userId: string | null;
  model: string;
  configVersion: number;
  /** The agent whose version `configVersion` is; null or absent is the default agent. */
  agentId?: string | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  toolCalls: number;
  latencyMs: number;
  /**
   * True when the provider reported no usage for some model call of the record and its tokens were
   * counted by Enclave (the model family's tokenizer, or the documented estimate).
   */
  estimated: boolean;
  /** `summary`: the model call that updated a session's rolling summary (not a turn of its own). */
  status: 'completed' | 'failed' | 'summary';
  /** UTC day, `YYYY-MM-DD`, for aggregation. */
  day: string;
  createdAt: string;
}

/** A record to write; `estimated` defaults to false (the provider's counts). */
export type NewUsageRecord = Omit<UsageRecord, 'tenantId' | 'day' | 'createdAt' | 'estimated'> & {
  estimated?: boolean;
};

export interface UsageAggregate {
  day: string | null;
  model: string | null;
  /** Set when grouped by agent (`default` for the default agent). */
  agent?: string | null;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  toolCalls: number;
}
