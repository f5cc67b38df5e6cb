import { createHash } from 'node:crypto';

/** Sessions whose overflow count one memo keeps, least recently used dropped first. */
export const CONTEXT_MEMO_MAX_SESSIONS = 10_000;

/** System prompts whose token count one memo keeps (by a hash, never the text). */
export const PROMPT_COUNTS_MAX = 1_000;

/**
 * Sessions whose window counts one memo keeps: up to 32 counts with their turn ids, about 4 KB a
 * session, so at most about 8 MB.
 */
export const WINDOW_COUNTS_MAX_SESSIONS = 2_000;

/**
 * The overflow of a session counted by an earlier turn: every context message with
 * `afterSeq < seq < beforeSeq`, where `afterSeq` is the summary's `upToSeq` (0 without one).
 */
export interface OverflowCount {
  afterSeq: number;
  beforeSeq: number;
  /** How the messages were counted (`countingKey`): a count is reused only when counting alike. */
  counting: string;
  tokens: number;
  messages: number;
  /** The newest message counted; a later turn checks it is still there before adding to the count. */
  last: { seq: number; turnId: string } | null;
}

/**
 * The token counts of the messages a session's last context window counted, by `seq`. A stored
 * message never changes, and a `seq` with the same `turnId` is the same message (a session deleted
 * and made again under its id gets new turn ids), so a later turn reuses a count when both match.
 */
export interface WindowCounts {
  /** How the messages were counted (`countingKey`): counts are reused only when counting alike. */
  counting: string;
  bySeq: ReadonlyMap<number, { turnId: string; tokens: number }>;
}

/**
 * What one process remembers between turns about its sessions' contexts, to make a turn cheaper.
 * Never needed for correctness: replicas are stateless, so a turn that finds nothing (or anything
 * that does not match what it reads) counts from storage. Entries are keyed by tenant and session:
 * one tenant's entry is never another's.
 */
export interface ContextMemo {
  /** The session's last overflow count, or undefined. */
  overflow(tenantId: string, sessionId: string): OverflowCount | undefined;
  /** Keeps `count` as the session's (replacing any), dropping the least recently used session past the bound. */
  rememberOverflow(tenantId: string, sessionId: string, count: OverflowCount): void;
  /**
   * Claims the session's overflow (measuring it, and summarising it when due) for one turn of this
   * process: a release function, or null while another turn holds it.
   */
  claimOverflow(tenantId: string, sessionId: string): (() => void) | null;
  /** The counts of the session's last window, or undefined. */
  windowCounts(tenantId: string, sessionId: string): WindowCounts | undefined;
  /** Keeps `counts` as the session's (replacing any), dropping the least recently used session past the bound. */
  rememberWindowCounts(tenantId: string, sessionId: string, counts: WindowCounts): void;
  /**
   * The tenant's system prompt's tokens counted as `counting`: `count(prompt)` the first time,
   * remembered by the tenant, the counting and the SHA-256 of the prompt (never its text).
   */
  promptTokens(tenantId: string, counting: string, prompt: string, count: (prompt: string) => number): number;
}

/** How a counter counts a context message: counts made alike can be added up. */
export function countingKey(
  counter: { encoding: string; messageOverhead: number },
  toolResultMaxChars: number,
): string {
  return `${counter.encoding}/${counter.messageOverhead}/${toolResultMaxChars}`;
}

// Length-prefixed, so no pair of ids can spell another pair's key.
const keyOf = (tenantId: string, sessionId: string): string => `${tenantId.length}:${tenantId}${sessionId}`;

/** A bounded map whose first key is the least recently used: a Map iterates in insertion order, and use re-inserts. */
function recentlyUsed<Value>(max: number) {
  const entries = new Map<string, Value>();
  return {
    get(key: string): Value | undefined {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key: string, value: Value): void {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
  };
}

export function createContextMemo(
  maxSessions = CONTEXT_MEMO_MAX_SESSIONS,
  maxWindowSessions = WINDOW_COUNTS_MAX_SESSIONS,
): ContextMemo {
  const counts = recentlyUsed<OverflowCount>(maxSessions);
  const windows = recentlyUsed<WindowCounts>(maxWindowSessions);
  const prompts = recentlyUsed<number>(PROMPT_COUNTS_MAX);
  const claimed = new Set<string>();
  return {
    overflow: (tenantId, sessionId) => counts.get(keyOf(tenantId, sessionId)),
    rememberOverflow: (tenantId, sessionId, count) => counts.set(keyOf(tenantId, sessionId), count),
    windowCounts: (tenantId, sessionId) => windows.get(keyOf(tenantId, sessionId)),
    rememberWindowCounts: (tenantId, sessionId, window) => windows.set(keyOf(tenantId, sessionId), window),
    promptTokens(tenantId, counting, prompt, count) {
      // SHA-256, not a fast hash: a tenant must not be able to make two of its prompts share a
      // count (hashing 2 KB costs a few µs, tokenizing it about 0.6 ms).
      const key = `${keyOf(tenantId, counting)}/${createHash('sha256').update(prompt).digest('base64')}`;
      let tokens = prompts.get(key);
      if (tokens === undefined) {
        tokens = count(prompt);
        prompts.set(key, tokens);
      }
      return tokens;
    },
    claimOverflow(tenantId, sessionId) {
      const key = keyOf(tenantId, sessionId);
      if (claimed.has(key)) return null;
      claimed.add(key);
      return () => claimed.delete(key);
    },
  };
}

const memos = new WeakMap<object, ContextMemo>();

/** The memo of one storage (one per process in a server; one per test database). */
export function contextMemoOf(storage: object): ContextMemo {
  let memo = memos.get(storage);
  if (!memo) {
    memo = createContextMemo();
    memos.set(storage, memo);
  }
  return memo;
}
