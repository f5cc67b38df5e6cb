import { AppError } from '../errors.ts';
import type { Storage } from '../ports.ts';
import { newDataKey, open, seal } from './secret-box.ts';

/** Secret names: provider keys, tool credentials (`openai_api_key`, `mcp.github.token`). */
export const SECRET_NAME_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Per-tenant secrets at rest, envelope-encrypted: each tenant has its own data key, stored only
 * wrapped by the master key (`ENCLAVE_MASTER_KEY`); each secret is sealed with the tenant's data
 * key. Deleting the tenant deletes its data key, so no copy of its ciphertext (a backup, an
 * export) can ever be read again. Without a master key, secrets are refused, never stored in clear.
 */
export function createSecretService({ storage, masterKey }: { storage: Storage; masterKey: Buffer | null }) {
  function requireMaster(): Buffer {
    if (!masterKey) throw new AppError('SECRETS_NOT_CONFIGURED');
    return masterKey;
  }

  async function dataKey(tenantId: string, create: boolean): Promise<Buffer | null> {
    const master = requireMaster();
    let wrapped = await storage.getDataKey(tenantId);
    if (!wrapped) {
      if (!create) return null;
      wrapped = await storage.putDataKey(tenantId, seal(master, newDataKey(), `dek:${tenantId}`));
    }
    return open(master, wrapped, `dek:${tenantId}`);
  }

  return {
    /** Whether secrets can be stored at all (a master key is configured). */
    configured: masterKey !== null,

    async put(tenantId: string, name: string, value: string): Promise<void> {
      const key = (await dataKey(tenantId, true)) as Buffer;
      await storage.putSecret(tenantId, name, seal(key, Buffer.from(value, 'utf8'), `secret:${tenantId}:${name}`));
    },

    /** The plaintext, for the server's own use (provider calls); never returned over the API. */
    async reveal(tenantId: string, name: string): Promise<string | null> {
      const sealed = await storage.getSecret(tenantId, name);
      if (sealed === null) return null;
      const key = await dataKey(tenantId, false);
      if (!key) return null;
      return open(key, sealed, `secret:${tenantId}:${name}`).toString('utf8');
    },

    /**
     * Seals a value under the tenant's data key for a store of its own (MCP OAuth tokens). `aad`
     * binds the ciphertext to where it belongs (tenant, server, user), so a copied row fails to open.
     */
    async seal(tenantId: string, aad: string, value: string): Promise<string> {
      const key = (await dataKey(tenantId, true)) as Buffer;
      return seal(key, Buffer.from(value, 'utf8'), `value:${tenantId}:${aad}`);
    },

    /** Opens a value sealed by `seal` with the same tenant and `aad`; null when the tenant has no data key. */
    async open(tenantId: string, aad: string, sealed: string): Promise<string | null> {
      const key = await dataKey(tenantId, false);
      if (!key) return null;
      return open(key, sealed, `value:${tenantId}:${aad}`).toString('utf8');
    },

    list: (tenantId: string) => storage.listSecretNames(tenantId),
    delete: (tenantId: string, name: string) => storage.deleteSecret(tenantId, name),
  };
}

export type SecretService = ReturnType<typeof createSecretService>;
