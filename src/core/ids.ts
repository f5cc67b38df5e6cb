import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Source of new ids. Injected so tests can be deterministic. */
export interface Ids {
  /** A new id with the given prefix, e.g. `ses_01JD…`. Ids of one prefix sort by creation time. */
  next(prefix: string): string;
}

/**
 * ULID-style ids: 10 characters of millisecond time, then 16 random characters (80 bits),
 * so listing by id is listing by creation time.
 */
export function createIds(now: () => number = Date.now): Ids {
  // One syscall fills randomness for 256 ids instead of one per id.
  const pool = Buffer.alloc(4096);
  let offset = pool.length;
  return {
    next(prefix) {
      let time = now();
      let head = '';
      for (let index = 0; index < 10; index++) {
        head = CROCKFORD[time % 32] + head;
        time = Math.floor(time / 32);
      }
      if (offset + 16 > pool.length) {
        randomFillSync(pool);
        offset = 0;
      }
      let tail = '';
      for (let index = offset; index < offset + 16; index++) tail += CROCKFORD[(pool[index] ?? 0) % 32];
      offset += 16;
      return `${prefix}_${head}${tail}`;
    },
  };
}

/**
 * The greatest id `next(prefix)` can return at the millisecond `ms`. It places an id that is not
 * time-ordered (the legacy session's fixed `ses_legacy`) among ids of that prefix by a time.
 */
export function latestIdAt(prefix: string, ms: number): string {
  let time = ms;
  let head = '';
  for (let index = 0; index < 10; index++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return `${prefix}_${head}${'Z'.repeat(16)}`;
}
