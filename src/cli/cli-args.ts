import { isTenantId } from '../core/tenants/tenant-id.ts';
import { UsageError } from './usage-error.ts';

/** A tenant id argument, or a usage error naming what needs it. */
export function tenantIdArg(value: string | undefined, needs: string): string {
  if (!value || !isTenantId(value)) throw new UsageError(`${needs} needs a valid tenant id`);
  return value;
}

/** A required non-empty positional argument (an id), or a usage error. */
export function requiredArg(value: string | undefined, needs: string): string {
  if (!value || value.trim() === '') throw new UsageError(needs);
  return value;
}
