import { isScope, SCOPES, type Scope } from '../core/auth/principal.ts';
import { UsageError } from './usage-error.ts';

/** `--scopes chat,history:read`: known scopes, deduplicated, in canonical order; all of them when absent. */
export function parseScopes(value: string | undefined): Scope[] {
  if (value === undefined) return [...SCOPES];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !isScope(name));
  if (unknown.length > 0 || names.length === 0) {
    const what = unknown.length > 0 ? `Unknown scope ${unknown.join(', ')}` : '--scopes needs at least one scope';
    throw new UsageError(`${what}. Known scopes: ${SCOPES.join(', ')}`);
  }
  return SCOPES.filter((scope) => names.includes(scope));
}
