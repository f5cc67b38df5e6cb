import { utcDay, utcMonth } from './calendar.ts';
import { type CounterStore, fixedWindowResetAt } from './counter-store.ts';
import { keysFor } from './keys.ts';

const MINUTE_MS = 60_000;

/**
 * Deletes a tenant's own limit counters (concurrency slots, and the current minute, day and month
 * windows), so that a tenant created again with the same id starts from nothing instead of
 * inheriting the deleted one's use. Earlier windows are never read again, so they need no purge;
 * key-level counters belong to key ids that are never issued again and expire with their window.
 * Without a ledger, a turn still finishing may count again afterwards; with one, day and month
 * counters are not recreated by charging (see `LimiterOptions.ledger`).
 */
export async function forgetTenantCounters(store: CounterStore, tenantId: string, now: number): Promise<void> {
  const { tenant } = keysFor({ tenantId, keyId: null }, now);
  const minute = fixedWindowResetAt(MINUTE_MS, now);
  await Promise.all([
    store.remove(tenant.turns, null),
    store.remove(tenant.rpm, minute),
    store.remove(tenant.tpm, minute),
    store.remove(tenant.day, utcDay(now).resetAt),
    store.remove(tenant.month, utcMonth(now).resetAt),
  ]);
}
