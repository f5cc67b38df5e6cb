import type { LimitSettings } from '../tenants/tenant-config.ts';

export interface AdmissionScope {
  tenantId: string;
  /** The API key, when the caller used one (key limits apply on top of the tenant's). */
  keyId: string | null;
  /** The agent, when it has limits of its own (they apply on top of the tenant's and the key's). */
  agentId?: string | null;
}

export interface AdmissionLimits {
  tenant: LimitSettings;
  key: LimitSettings | null;
  /** The turn's agent's own limits; absent or null for the default agent. */
  agent?: LimitSettings | null;
}

/**
 * The admission port of the turn pipeline: limits on concurrent turns and on tokens. Implementations
 * throw a 429 `AppError` (CONCURRENCY_LIMITED, TOKEN_RATE_LIMITED or QUOTA_EXCEEDED) whose
 * `details.headers` carry `Retry-After`, `RateLimit` and `RateLimit-Policy`.
 */
export interface TurnAdmission {
  /** Takes a concurrent-turn slot and checks token limits; `release` gives the slot back. */
  admit(scope: AdmissionScope, limits: AdmissionLimits): Promise<{ release(): Promise<void> }>;
  /**
   * Charges the turn's tokens to the minute, day and month counters; a minute counter only at the
   * levels whose `limits` have a tokens-per-minute limit (no per-tenant state for the others).
   */
  recordTokens(scope: AdmissionScope, tokens: number, limits: AdmissionLimits): Promise<void>;
  /**
   * Counts one request against requests per minute (RATE_LIMITED past it). Resolves to the
   * `RateLimit` and `RateLimit-Policy` headers of the limit with the least left, for the response;
   * null when no requests-per-minute limit applies (then nothing is counted or sent).
   */
  countRequest(scope: AdmissionScope, limits: AdmissionLimits): Promise<Record<string, string> | null>;
  /**
   * Deletes the tenant's limit counters, after the tenant is deleted or created: a tenant created
   * again with the same id must not inherit the old one's use. Admin only; the caller decides what a
   * failure means (the counters then expire with their windows).
   */
  forgetTenant(tenantId: string): Promise<void>;
}
