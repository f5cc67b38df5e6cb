import { createHash } from 'node:crypto';
import { AppError } from '../errors.ts';

/**
 * A claimed key runs (`in_progress`), then keeps the final response of a turn that succeeded or
 * failed. A `completed` row without a response is a turn that committed (its reply is stored, in the
 * same transaction that marked the row) before its response was stored: it is answered from the
 * stored turn.
 */
export type IdempotencyStatus = 'in_progress' | 'completed' | 'failed';

/** What the first request answered, kept for replay: its HTTP status and JSON body. */
export interface StoredResponse {
  status: number;
  body: unknown;
  /** The turn the response belongs to, when known. */
  turnId: string | null;
}

export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  status: IdempotencyStatus;
  /** Null while in progress, and for a committed turn whose response was not stored (see `IdempotencyStatus`). */
  response: StoredResponse | null;
  /** The turn that committed under this key, once it did. */
  turnId: string | null;
  /** The process (replica instance) that holds an in-progress claim; null on rows from before leases. */
  owner: string | null;
  /**
   * While in progress: when the holder's lease ends unless renewed. A row whose lease has ended is
   * taken over by the next request with the key. Null on rows from before leases (never taken over).
   */
  leaseExpiresAt: string | null;
  createdAt: string;
  expiresAt: string;
}

/** One claim: a key this request holds until it completes or releases it. */
export interface IdempotencyClaim {
  tenantId: string;
  key: string;
  /** Random per claim: only the holder completes or releases the row, never a later claimant of the same key. */
  token: string;
}

/**
 * The claim a turn commits under: `Storage.completeTurn` marks the key's row completed (with the
 * turn id) in the turn's own transaction, and refuses to commit (IDEMPOTENCY_IN_PROGRESS, rolled
 * back) when the claim was taken over meanwhile, so a committed turn is never left in progress,
 * released, or run twice.
 */
export type TurnClaim = Pick<IdempotencyClaim, 'key' | 'token'>;

/**
 * The storage port for idempotency keys. Every method is tenant-scoped (keys of two tenants never
 * meet) and takes the tenant the caller already authorised. Times are ISO 8601 UTC strings.
 */
export interface IdempotencyStore {
  /**
   * Claims (tenant, key) as in progress in one atomic statement: true when this call claimed it
   * (a new key, or an expired row taken over); false when a live row holds the key.
   */
  claimIdempotencyKey(
    tenantId: string,
    claim: {
      key: string;
      fingerprint: string;
      token: string;
      /** The end user who sent the request, if known: end-user erasure deletes their keys. */
      userId: string | null;
      /** This process's instance id, for operators: who holds the claim. */
      owner: string;
      /** When the claim may be taken over unless renewed (`renewIdempotencyLease`). */
      leaseExpiresAt: string;
      createdAt: string;
      expiresAt: string;
    },
  ): Promise<boolean>;
  /**
   * Takes over an in-progress claim whose lease ended at or before `now` (its holder died or lost
   * contact), in one compare-and-set: true for exactly one of any number of racing callers, on any
   * replica. The row keeps its key, fingerprint and expiry; it gets the new token, owner and lease.
   */
  takeOverIdempotencyKey(
    tenantId: string,
    takeover: { key: string; token: string; owner: string; now: string; leaseExpiresAt: string },
  ): Promise<boolean>;
  /** Extends the lease of the in-progress claim `token` holds; false when it no longer holds one. */
  renewIdempotencyLease(tenantId: string, key: string, token: string, leaseExpiresAt: string): Promise<boolean>;
  /** The live (unexpired at `now`) row of the key, or null. */
  getIdempotencyKey(tenantId: string, key: string, now: string): Promise<IdempotencyRecord | null>;
  /**
   * Stores the final response of the claim `token` holds: over an in-progress row, or (for a
   * `completed` outcome) over the row its committed turn marked. A `failed` outcome never replaces
   * a committed turn: once a turn committed, nothing turns it into an error.
   */
  completeIdempotencyKey(
    tenantId: string,
    key: string,
    token: string,
    outcome: { status: Exclude<IdempotencyStatus, 'in_progress'>; response: StoredResponse },
  ): Promise<void>;
  /**
   * Deletes the in-progress claim `token` holds, so the next request with the key runs the turn.
   * Does nothing once the claim's turn committed (the row is then `completed`).
   */
  releaseIdempotencyKey(tenantId: string, key: string, token: string): Promise<void>;
  /** Deletes at most `limit` of the tenant's rows expired at `now`; returns how many. */
  deleteExpiredIdempotencyKeys(tenantId: string, now: string, limit: number): Promise<number>;
}

/** 1–255 printable ASCII characters (space to tilde). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** JSON with object keys sorted at every level, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/**
 * The request fingerprint: SHA-256 of the method, the route and its parameters, the canonical body,
 * and who calls (API key, end user, admin key). A key reused for anything else, or by another
 * credential of the same tenant, does not match.
 */
export function requestFingerprint(parts: {
  method: string;
  route: string;
  params: unknown;
  body: unknown;
  caller: string;
}): string {
  return createHash('sha256')
    .update(canonicalJson([parts.method, parts.route, parts.params ?? null, parts.body ?? null, parts.caller]))
    .digest('hex');
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** How long a key is remembered after its first use (IDEMPOTENCY_TTL_MS). */
  ttlMs: number;
  /** How long a retry waits for the first request still in flight before 409 IDEMPOTENCY_IN_PROGRESS. */
  waitMs: number;
  /**
   * How long a claim lasts without renewal (IDEMPOTENCY_LEASE_MS). The holder renews it every third
   * of this while it runs; a claim whose holder died is taken over this long after its last renewal.
   */
  leaseMs: number;
  /** This process's instance id, recorded as the owner of its claims. */
  owner: string;
  /** How often a waiting retry reads the row again (it may be another replica's). Default 50 ms. */
  pollMs?: number;
  now?: () => number;
  newToken(): string;
  /** Every this many claims, one bounded delete of the claiming tenant's expired rows. Default 32. */
  cleanupEvery?: number;
  /** Most rows one cleanup deletes. Default 500. */
  cleanupLimit?: number;
  /** A cleanup that failed; the request goes on. */
  onCleanupError?(error: unknown): void;
  /** A lease renewal that failed; the turn goes on (and the next renewal tries again). */
  onLeaseError?(error: unknown): void;
}

export type IdempotencyBegin =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'replay'; response: StoredResponse }
  /** The turn committed but its response was not stored (its process died first): answer from the stored turn. */
  | { kind: 'committed'; turnId: string };

export interface Idempotency {
  /**
   * Claims the key, or answers with the stored response (or committed turn) of the first request
   * with it. While that one is in flight, waits for it (polling the row) up to `waitMs`, then throws
   * IDEMPOTENCY_IN_PROGRESS; a first request that released its claim, or whose lease ended (its
   * process died), lets this one claim it. A claim is renewed until `complete` or `release`.
   * Throws IDEMPOTENCY_KEY_REUSED when the key was used with another fingerprint.
   */
  begin(
    tenantId: string,
    request: { key: string; fingerprint: string; userId: string | null },
    signal?: AbortSignal,
  ): Promise<IdempotencyBegin>;
  complete(
    claim: IdempotencyClaim,
    outcome: { status: Exclude<IdempotencyStatus, 'in_progress'>; response: StoredResponse },
  ): Promise<void>;
  release(claim: IdempotencyClaim): Promise<void>;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Exactly-once turns: one claim per (tenant, key), a stored response for every retry. */
export function createIdempotency(options: IdempotencyOptions): Idempotency {
  const { store, ttlMs, waitMs, leaseMs, owner } = options;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 50;
  const cleanupEvery = options.cleanupEvery ?? 32;
  const cleanupLimit = options.cleanupLimit ?? 500;
  const iso = (ms: number) => new Date(ms).toISOString();
  let claims = 0;
  /** The renewal timer of each claim this process holds, until it is completed or released. */
  const held = new Map<string, ReturnType<typeof setInterval>>();

  function hold(claim: IdempotencyClaim): IdempotencyClaim {
    const timer = setInterval(
      () => {
        store.renewIdempotencyLease(claim.tenantId, claim.key, claim.token, iso(now() + leaseMs)).then(
          (renewed) => {
            // Taken over (its lease had ended) or settled: nothing left to renew.
            if (!renewed) letGo(claim);
          },
          (error: unknown) => options.onLeaseError?.(error),
        );
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    // A lease must never keep the process alive: a process that exits lets its leases end.
    timer.unref();
    held.set(claim.token, timer);
    return claim;
  }

  function letGo(claim: IdempotencyClaim) {
    clearInterval(held.get(claim.token));
    held.delete(claim.token);
  }

  async function cleanup(tenantId: string) {
    claims += 1;
    if (claims % cleanupEvery !== 0) return;
    try {
      await store.deleteExpiredIdempotencyKeys(tenantId, iso(now()), cleanupLimit);
    } catch (error) {
      options.onCleanupError?.(error);
    }
  }

  return {
    async begin(tenantId, { key, fingerprint, userId }, signal) {
      const deadline = now() + waitMs;
      for (;;) {
        const token = options.newToken();
        const at = now();
        const claimed = await store.claimIdempotencyKey(tenantId, {
          key,
          fingerprint,
          token,
          userId,
          owner,
          leaseExpiresAt: iso(at + leaseMs),
          createdAt: iso(at),
          expiresAt: iso(at + ttlMs),
        });
        if (claimed) {
          await cleanup(tenantId);
          return { kind: 'claimed', claim: hold({ tenantId, key, token }) };
        }
        // Held by a live row: replay it, or wait while it runs. A row released meanwhile (or
        // expired) reads as null, and the loop claims the key again.
        for (;;) {
          const row = await store.getIdempotencyKey(tenantId, key, iso(now()));
          if (!row) break;
          if (row.fingerprint !== fingerprint) {
            throw new AppError(
              'IDEMPOTENCY_KEY_REUSED',
              'This Idempotency-Key was already used with a different request (route, body or credential)',
            );
          }
          if (row.status !== 'in_progress') {
            if (row.response) return { kind: 'replay', response: row.response };
            if (row.turnId) return { kind: 'committed', turnId: row.turnId };
          }
          const at = now();
          if (row.status === 'in_progress' && row.leaseExpiresAt !== null && row.leaseExpiresAt <= iso(at)) {
            // Its holder stopped renewing (died): its turn did not commit, since a commit marks the
            // row completed in the same transaction. Exactly one retry, on any replica, takes over
            // and runs the turn; the others read the row again and wait for that one.
            const takeover = options.newToken();
            const taken = await store.takeOverIdempotencyKey(tenantId, {
              key,
              token: takeover,
              owner,
              now: iso(at),
              leaseExpiresAt: iso(at + leaseMs),
            });
            if (taken) return { kind: 'claimed', claim: hold({ tenantId, key, token: takeover }) };
            continue;
          }
          const left = deadline - now();
          if (left <= 0) {
            throw new AppError(
              'IDEMPOTENCY_IN_PROGRESS',
              'A request with this Idempotency-Key is still running; retry later for its result',
              { details: { headers: { 'retry-after': '1' } } },
            );
          }
          await sleep(Math.min(pollMs, left), signal);
        }
      }
    },
    complete(claim, outcome) {
      letGo(claim);
      return store.completeIdempotencyKey(claim.tenantId, claim.key, claim.token, outcome);
    },
    release(claim) {
      letGo(claim);
      return store.releaseIdempotencyKey(claim.tenantId, claim.key, claim.token);
    },
  };
}
