import { createHash } from 'node:crypto';
import { AppError } from '../errors.ts';

/** A claimed key runs (`in_progress`), then keeps the final response of a turn that succeeded or failed. */
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
  /** Null while in progress. */
  response: StoredResponse | null;
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
      createdAt: string;
      expiresAt: string;
    },
  ): Promise<boolean>;
  /** The live (unexpired at `now`) row of the key, or null. */
  getIdempotencyKey(tenantId: string, key: string, now: string): Promise<IdempotencyRecord | null>;
  /** Stores the final response of the claim `token` holds. */
  completeIdempotencyKey(
    tenantId: string,
    key: string,
    token: string,
    outcome: { status: Exclude<IdempotencyStatus, 'in_progress'>; response: StoredResponse },
  ): Promise<void>;
  /** Deletes the in-progress claim `token` holds, so the next request with the key runs the turn. */
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
}

export type IdempotencyBegin =
  | { kind: 'claimed'; claim: IdempotencyClaim }
  | { kind: 'replay'; response: StoredResponse };

export interface Idempotency {
  /**
   * Claims the key, or answers with the stored response of the first request with it. While that
   * one is in flight, waits for it (polling the row) up to `waitMs`, then throws
   * IDEMPOTENCY_IN_PROGRESS; a first request that released its claim lets this one claim it.
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
  const { store, ttlMs, waitMs } = options;
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 50;
  const cleanupEvery = options.cleanupEvery ?? 32;
  const cleanupLimit = options.cleanupLimit ?? 500;
  const iso = (ms: number) => new Date(ms).toISOString();
  let claims = 0;

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
          createdAt: iso(at),
          expiresAt: iso(at + ttlMs),
        });
        if (claimed) {
          await cleanup(tenantId);
          return { kind: 'claimed', claim: { tenantId, key, token } };
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
          if (row.status !== 'in_progress' && row.response) return { kind: 'replay', response: row.response };
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
      return store.completeIdempotencyKey(claim.tenantId, claim.key, claim.token, outcome);
    },
    release(claim) {
      return store.releaseIdempotencyKey(claim.tenantId, claim.key, claim.token);
    },
  };
}
