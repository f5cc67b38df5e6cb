import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, generateApiKey, hashApiKey, isWellFormedApiKey, sameHash } from './api-key.ts';

describe('API keys', () => {
  it('have the enc_ format with a valid checksum, a SHA-256 hash and a short prefix', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    for (const { key, hash, prefix } of keys) {
      expect(key).toMatch(API_KEY_PATTERN);
      expect(isWellFormedApiKey(key)).toBe(true);
      expect(hash).toBe(hashApiKey(key));
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(key.startsWith(prefix)).toBe(true);
    }
    expect(new Set(keys.map((entry) => entry.key)).size).toBe(200);
  });

  it('rejects a key with any single character changed (checksum)', () => {
    const { key } = generateApiKey();
    fc.assert(
      fc.property(fc.integer({ min: 4, max: key.length - 1 }), fc.constantFrom(...'aZ09xQ'), (index, char) => {
        const changed = key.slice(0, index) + char + key.slice(index + 1);
        return changed === key || !isWellFormedApiKey(changed);
      }),
    );
    expect(isWellFormedApiKey('enc_short')).toBe(false);
    expect(isWellFormedApiKey(`xyz_${key.slice(4)}`)).toBe(false);
  });

  it('compares hashes in constant time and only equal ones match', () => {
    const a = hashApiKey('a');
    expect(sameHash(a, hashApiKey('a'))).toBe(true);
    expect(sameHash(a, hashApiKey('b'))).toBe(false);
    expect(sameHash(a, 'abcd')).toBe(false);
  });
});
