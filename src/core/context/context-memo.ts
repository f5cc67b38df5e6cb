/** Sessions whose overflow count one memo keeps, least recently used dropped first. */
export const CONTEXT_MEMO_MAX_SESSIONS = 10_000;

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

export function createContextMemo(maxSessions = CONTEXT_MEMO_MAX_SESSIONS): ContextMemo {
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const counts = new Map<string, OverflowCount>();
  const claimed = new Set<string>();
  return {
    overflow(tenantId, sessionId) {
      const key = keyOf(tenantId, sessionId);
      const count = counts.get(key);
      if (count) {
        counts.delete(key);
        counts.set(key, count);
      }
      return count;
    },
    rememberOverflow(tenantId, sessionId, count) {
      const key = keyOf(tenantId, sessionId);
      counts.delete(key);
      counts.set(key, count);
      if (counts.size > maxSessions) counts.delete(counts.keys().next().value as string);
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
