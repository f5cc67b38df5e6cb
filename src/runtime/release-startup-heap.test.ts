import { expect, it } from 'vitest';
import { releaseStartupHeap } from './release-startup-heap.ts';

it('collects once and leaves no global gc behind', () => {
  const hadGc = 'gc' in globalThis;
  const ms = releaseStartupHeap();
  expect(ms).toEqual(expect.any(Number));
  expect(ms).toBeGreaterThanOrEqual(0);
  expect('gc' in globalThis).toBe(hadGc);
});
