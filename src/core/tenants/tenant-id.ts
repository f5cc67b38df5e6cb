/** A tenant id: 1–64 characters, starting with a letter or digit, then letters, digits, `.`, `_` or `-`. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isTenantId(value: string): boolean {
  return TENANT_ID_PATTERN.test(value);
}
