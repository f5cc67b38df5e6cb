import type { Config } from '../config/config-schema.ts';
import { AppError } from '../core/errors.ts';
import type { Storage } from '../core/ports.ts';
import type { Tenant } from '../core/tenants/tenant.ts';
import { createStorage, type OpenedStorage } from '../storage/create-storage.ts';

/** Opens (and migrates) the configured database for one command and always closes it. */
export async function withStorage<T>(config: Config, work: (opened: OpenedStorage) => Promise<T>): Promise<T> {
  const opened = await createStorage({ ...config, migrate: true });
  try {
    return await work(opened);
  } finally {
    await opened.storage.close();
  }
}

/** The tenant, or TENANT_NOT_FOUND (exit 1). */
export async function requireTenant(storage: Storage, tenantId: string): Promise<Tenant> {
  const tenant = await storage.getTenant(tenantId);
  if (!tenant) throw new AppError('TENANT_NOT_FOUND');
  return tenant;
}

/**
 * Records an administrative action the CLI performed. `tenantId` is the affected tenant, or ''
 * for platform actions (admin keys). Details use snake_case like the HTTP API and never hold a secret.
 */
export async function auditCli(
  storage: Storage,
  entry: { tenantId: string; action: string; target: string; details?: Record<string, unknown> },
): Promise<void> {
  await storage.appendAudit({
    tenantId: entry.tenantId,
    actor: 'cli',
    action: entry.action,
    target: entry.target,
    requestId: null,
    details: entry.details ?? {},
  });
}
