import { AGENT_ID_PATTERN } from '../core/agent-catalog/agent.ts';
import { TENANT_ID_PATTERN } from '../core/tenants/tenant-id.ts';
import { utcDay, utcMonth } from './calendar.ts';

/** API key ids: `key_` then Crockford-style upper-case base 32. */
export const KEY_ID_PATTERN = /^key_[0-9A-Z]+$/;

/** Who a limit applies to: a tenant, and within it the API key (null for a JWT or no key). */
export interface LimitScope {
  tenantId: string;
  keyId: string | null;
  /** The agent of the turn, when it has limits of its own; absent or null counts no agent level. */
  agentId?: string | null;
}

/** The store keys of one level (the tenant, or one key within it) at one instant. */
export interface LevelKeys {
  /** Concurrency slots for turns. */
  turns: string;
  /** Requests per minute (for a store-backed request limiter; the limiter itself does not count requests). */
  rpm: string;
  /** Tokens per minute: a fixed 60 s window, so the store appends nothing. */
  tpm: string;
  /** Tokens of the current UTC day: `…:day:YYYY-MM-DD`. */
  day: string;
  /** Tokens of the current UTC month: `…:month:YYYY-MM`. */
  month: string;
}

/**
 * Store keys, namespaced and tenant-scoped:
 *
 * ```
 * t:{tenantId}:turns                      t:{tenantId}:k:{keyId}:turns
 * t:{tenantId}:rpm                        t:{tenantId}:k:{keyId}:rpm
 * t:{tenantId}:tpm                        t:{tenantId}:k:{keyId}:tpm
 * t:{tenantId}:day:2024-02-29             t:{tenantId}:k:{keyId}:day:2024-02-29
 * t:{tenantId}:month:2024-02              t:{tenantId}:k:{keyId}:month:2024-02
 * t:{tenantId}:a:{agentId}:rpm (and the other four for an agent with limits of its own)
 * ```
 *
 * No delimiter confusion is possible: tenant ids match `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$` and
 * key ids `^key_[0-9A-Z]+$`, so neither contains `:`; splitting a key on `:` gives back its
 * segments, and a key-level key is the only kind whose third segment is `k` followed by a
 * `key_…` segment. Both ids are checked here, so a bad id throws instead of colliding.
 * The day and month keys name their period, so a new period always starts a new counter.
 */
export function keysFor(
  scope: LimitScope,
  now: number,
): { tenant: LevelKeys; key: LevelKeys | null; agent: LevelKeys | null } {
  if (!TENANT_ID_PATTERN.test(scope.tenantId))
    throw new TypeError(`Invalid tenant id: ${JSON.stringify(scope.tenantId)}`);
  if (scope.keyId !== null && !KEY_ID_PATTERN.test(scope.keyId)) {
    throw new TypeError(`Invalid key id: ${JSON.stringify(scope.keyId)}`);
  }
  // Agent ids contain no `:` either; an agent's keys have `a` as their third segment.
  const agentId = scope.agentId ?? null;
  if (agentId !== null && !AGENT_ID_PATTERN.test(agentId)) {
    throw new TypeError(`Invalid agent id: ${JSON.stringify(agentId)}`);
  }
  const day = utcDay(now).period;
  const month = utcMonth(now).period;
  const tenantBase = `t:${scope.tenantId}`;
  return {
    tenant: levelKeys(tenantBase, day, month),
    key: scope.keyId === null ? null : levelKeys(`${tenantBase}:k:${scope.keyId}`, day, month),
    agent: agentId === null ? null : levelKeys(`${tenantBase}:a:${agentId}`, day, month),
  };
}

function levelKeys(base: string, day: string, month: string): LevelKeys {
  return {
    turns: `${base}:turns`,
    rpm: `${base}:rpm`,
    tpm: `${base}:tpm`,
    day: `${base}:day:${day}`,
    month: `${base}:month:${month}`,
  };
}
