import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStorage, type OpenedStorage } from '../../storage/create-storage.ts';
import { createIds } from '../ids.ts';
import { createIdempotency, type Idempotency } from './idempotency.ts';

const ids = createIds();
const TENANT = 'idem-renew';
const LEASE_MS = 3000;
const request = { key: 'k', fingerprint: 'f', userId: null };

/** Lets the renewals started by a timer tick reach the database and come back. */
const settle = async () => {
  for (let index = 0; index < 5; index++) await new Promise((resolve) => setImmediate(resolve));
};

describe('idempotency leases', () => {
  let opened: OpenedStorage;
  let clock: number;
  /** Two processes (replicas) on one database, each with its own instance id. */
  let first: Idempotency;
  let second: Idempotency;

  beforeEach(async () => {
    // Only the renewal timer is faked: the clock is `clock`, and the database runs for real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    clock = Date.parse('2026-01-01T00:00:00.000Z');
    opened = await createStorage({ databaseUrl: 'sqlite::memory:', sqliteSynchronous: 'NORMAL', migrate: true });
    const options = {
      store: opened.idempotency,
      ttlMs: 86_400_000,
      // The clock stands still while a retry waits: a retry that would wait gives up at once.
      waitMs: 0,
      leaseMs: LEASE_MS,
      now: () => clock,
      newToken: () => ids.next('idk'),
    };
    first = createIdempotency({ ...options, owner: 'ins_first' });
    second = createIdempotency({ ...options, owner: 'ins_second' });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await opened.storage.close();
  });

  const row = () => opened.idempotency.getIdempotencyKey(TENANT, 'k', new Date(clock).toISOString());

  it('a running claim is renewed every third of the lease, so another replica never takes it over', async () => {
    const begun = await first.begin(TENANT, request);
    expect(begun.kind).toBe('claimed');
    for (let tick = 0; tick < 6; tick++) {
      clock += LEASE_MS / 3;
      vi.advanceTimersByTime(LEASE_MS / 3);
      await settle();
    }
    // Two whole leases later, the lease still ends a lease from now.
    expect(await row()).toMatchObject({
      status: 'in_progress',
      owner: 'ins_first',
      leaseExpiresAt: new Date(clock + LEASE_MS).toISOString(),
    });
    await expect(second.begin(TENANT, request)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    if (begun.kind === 'claimed') await first.release(begun.claim);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a claim whose holder stopped renewing is taken over once its lease ends, and the old holder stops renewing', async () => {
    const begun = await first.begin(TENANT, request);
    // The holder stalls: no renewal runs while the lease passes.
    clock += LEASE_MS;
    const taken = await second.begin(TENANT, request);
    expect(taken.kind).toBe('claimed');
    expect((await row())?.owner).toBe('ins_second');
    // The stalled holder's next renewal finds the key taken and lets it go; the new holder renews.
    vi.advanceTimersByTime(LEASE_MS / 3);
    await settle();
    expect(vi.getTimerCount()).toBe(1);
    // Its release does nothing to the new holder's claim.
    if (begun.kind === 'claimed') await first.release(begun.claim);
    expect((await row())?.owner).toBe('ins_second');
    if (taken.kind === 'claimed') {
      await second.complete(taken.claim, { status: 'completed', response: { status: 200, body: {}, turnId: null } });
    }
    expect(vi.getTimerCount()).toBe(0);
  });
});
