import type { AdminStorage, Storage } from '../ports.ts';
import type { SecretService } from '../secrets/secret-service.ts';
import { JWT_INLINE_SECRET_NAME } from './tenant-config.ts';

/** Tenants handled per listing: the scan is bounded, whatever the number of tenants. */
const BATCH = 100;

/**
 * Moves JWT signing secrets that configs still hold inline (written before secrets had names) into
 * the encrypted secrets store, and rewrites those config versions to name `jwt.secret` instead.
 * Run by the server at start when ENCLAVE_MASTER_KEY is set; until then an inline secret keeps
 * working as it is, so no trust is lost either way. The secret is sealed before any config names
 * it, so a crash in between leaves the inline secret in place and the next start finishes the job.
 * The newest inline secret is the one kept: older versions then name it too, so a rollback never
 * revives a rotated-out secret. A `jwt.secret` already set for a later version is left as it is.
 */
export async function moveJwtSecrets({
  storage,
  admin,
  secrets,
}: {
  storage: Storage;
  admin: Pick<AdminStorage, 'listTenantsWithInlineJwtSecrets'>;
  secrets: Pick<SecretService, 'put'>;
}): Promise<{ tenants: number; versions: number }> {
  const done = new Set<string>();
  let versions = 0;
  for (;;) {
    const pending = (await admin.listTenantsWithInlineJwtSecrets(BATCH + done.size)).filter((id) => !done.has(id));
    if (pending.length === 0) break;
    for (const tenantId of pending) {
      done.add(tenantId);
      const newest = await storage.newestInlineJwtSecret(tenantId);
      if (!newest) continue;
      const later = await storage.listTenantConfigs(tenantId, { limit: 1_000, beforeVersion: null });
      const alreadyNamed = later.some(
        (entry) => entry.version > newest.version && entry.config.jwt?.secretName === JWT_INLINE_SECRET_NAME,
      );
      if (!alreadyNamed) await secrets.put(tenantId, JWT_INLINE_SECRET_NAME, newest.secret);
      versions += await storage.replaceInlineJwtSecrets(tenantId, JWT_INLINE_SECRET_NAME);
    }
  }
  return { tenants: done.size, versions };
}
