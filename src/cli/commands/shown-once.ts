/** Printed (on stderr) whenever a command reveals a new secret key. */
export const SHOWN_ONCE =
  'Store this key now: it is shown only once. Enclave keeps only its hash and cannot show it again.';
