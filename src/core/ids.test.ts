import { describe, expect, it } from 'vitest';
import { createIds } from './ids.ts';

describe('ids', () => {
  it('are prefixed, 26 characters after the prefix, unique, and sort by creation time', () => {
    let time = 1_700_000_000_000;
    const ids = createIds(() => time);
    const made: string[] = [];
    for (let index = 0; index < 1000; index++) {
      if (index % 100 === 0) time += 1;
      made.push(ids.next('ses'));
    }
    expect(new Set(made).size).toBe(1000);
    for (const id of made) expect(id).toMatch(/^ses_[0-9A-HJKMNP-TV-Z]{26}$/);
    const firstOfEachMillisecond = made.filter((_, index) => index % 100 === 0);
    expect([...firstOfEachMillisecond].sort()).toEqual(firstOfEachMillisecond);
  });
});
