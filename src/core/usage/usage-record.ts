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

/** What usage can be grouped by: UTC day or month, model, agent, API key, end user. */
export const USAGE_GROUPS = ['day', 'month', 'model', 'agent', 'key', 'user'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageAggregate {
  day: string | null;
  /** Set when grouped by month (`YYYY-MM`). */
  month?: string | null;
  /** Set when grouped by key (null: turns of no API key, e.g. a JWT). */
  keyId?: string | null;
  /** Set when grouped by user (null: turns of no end user). */
  userId?: string | null;
  /** Mean latency of the turns (ms), or null when none recorded one. */
  latencyMsAvg?: number | null;
  model: string | null;
  /** Set when grouped by agent (`default` for the default agent). */
  agent?: string | null;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  toolCalls: number;
}
