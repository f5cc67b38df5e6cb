/**
 * An end user's id (a JWT `sub`, a session's `user_id`): 1–128 letters, digits, `.`, `_`, `:`, `@`,
 * `|` or `-`. One rule wherever a user id enters, so every stored user can be named for erasure.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9._:@|-]{1,128}$/;

export function isUserId(value: string): boolean {
  return USER_ID_PATTERN.test(value);
}
