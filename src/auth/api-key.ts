import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

/**
 * API keys look like `enc_` + 32 random base62 characters + a 6-character base62 CRC32 of them,
 * e.g. `enc_3kF9…Q2x0aB`. The fixed prefix and checksum let secret scanners recognise a key
 * and let us reject typos without a database lookup.
 */
export const API_KEY_PATTERN = /^enc_[0-9A-Za-z]{38}$/;

function toBase62(value: number, length: number): string {
  let out = '';
  let rest = value;
  for (let index = 0; index < length; index++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

function checksum(random: string): string {
  return toBase62(crc32(random), CHECKSUM_LENGTH);
}

/** A new key (show it once) with its SHA-256 (store this) and a short prefix safe to display. */
export function generateApiKey(): { key: string; hash: string; prefix: string } {
  let random = '';
  while (random.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(48)) {
      // Rejection sampling keeps every character equally likely (248 = 4 × 62).
      if (byte < 248 && random.length < RANDOM_LENGTH) random += BASE62[byte % 62];
    }
  }
  const key = `enc_${random}${checksum(random)}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 8) };
}

/** True when the string has the key format and a valid checksum. */
export function isWellFormedApiKey(candidate: string): boolean {
  if (!API_KEY_PATTERN.test(candidate)) return false;
  const random = candidate.slice(4, 4 + RANDOM_LENGTH);
  return candidate.slice(4 + RANDOM_LENGTH) === checksum(random);
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
