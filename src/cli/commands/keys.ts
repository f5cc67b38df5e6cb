import { generateApiKey } from '../../auth/api-key.ts';
import type { Config } from '../../config/config-schema.ts';
import type { ApiKeyRecord } from '../../core/auth/api-key-record.ts';
import { AppError } from '../../core/errors.ts';
import { createIds } from '../../core/ids.ts';
import type { Storage } from '../../core/ports.ts';
import { requiredArg, tenantIdArg } from '../cli-args.ts';
import { auditCli, requireTenant, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { parseExpiry } from '../parse-dates.ts';
import { parseScopes } from '../parse-scopes.ts';
import { UsageError } from '../usage-error.ts';
import { SHOWN_ONCE } from './shown-once.ts';

const ACTIONS =
  'keys needs one of: create --tenant <id> [--name N] [--scopes S,…] [--expires ISO], list --tenant <id>, revoke <key-id> --tenant <id>';

/** The HTTP API's shape of a key: never the hash (the record does not even carry it). */
const keyJson = (key: ApiKeyRecord) => ({
  id: key.id,
  tenant_id: key.tenantId,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes,
  expires_at: key.expiresAt,
  last_used_at: key.lastUsedAt,
  revoked_at: key.revokedAt,
  created_at: key.createdAt,
});

async function allKeys(storage: Storage, tenantId: string): Promise<ApiKeyRecord[]> {
  const keys: ApiKeyRecord[] = [];
  for (;;) {
    const page = await storage.listApiKeys(tenantId, { limit: 1000, afterId: keys.at(-1)?.id ?? null });
    keys.push(...page);
    if (page.length < 1000) return keys;
  }
}

/** `enclave keys create|list|revoke --tenant T`: tenant API keys. */
export async function keysCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, action, keyIdArg] = args.positionals;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') throw new UsageError(ACTIONS);
  const tenantId = tenantIdArg(args.options.tenant, `keys ${action} --tenant`);

  if (action === 'create') {
    const scopes = parseScopes(args.options.scopes);
    const expiresAt = parseExpiry(args.options.expires, new Date());
    const name = args.options.name ?? '';
    await withStorage(config, async ({ storage }) => {
      await requireTenant(storage, tenantId);
      const { key, hash, prefix } = generateApiKey();
      const id = createIds().next('key');
      const record = await storage.createApiKey(tenantId, { id, name, prefix, hash, scopes, limits: null, expiresAt });
      await auditCli(storage, {
        tenantId,
        action: 'key.create',
        target: id,
        details: { name, prefix, scopes, expires_at: expiresAt },
      });
      out.line(`Created API key ${id} for tenant ${tenantId}\n`);
      out.line(`  key:        ${key}`);
      out.line(`  id:         ${id}`);
      out.line(`  prefix:     ${prefix}`);
      out.line(`  scopes:     ${scopes.join(', ')}`);
      out.line(`  expires_at: ${expiresAt ?? 'never'}\n`);
      out.json({ ...keyJson(record), key });
      out.warn(SHOWN_ONCE);
    });
    return;
  }

  if (action === 'list') {
    const keys = await withStorage(config, async ({ storage }) => {
      await requireTenant(storage, tenantId);
      return allKeys(storage, tenantId);
    });
    out.table(
      keys.map((key) => ({
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        scopes: key.scopes.join(','),
        expires_at: key.expiresAt ?? '',
        last_used_at: key.lastUsedAt ?? '',
        revoked_at: key.revokedAt ?? '',
      })),
    );
    out.json({ data: keys.map(keyJson) });
    return;
  }

  const keyId = requiredArg(keyIdArg, 'keys revoke needs a key id: keys revoke <key-id> --tenant <id>');
  await withStorage(config, async ({ storage }) => {
    await requireTenant(storage, tenantId);
    const key = await storage.getApiKey(tenantId, keyId);
    if (!key) throw new AppError('KEY_NOT_FOUND', `API key ${keyId} not found for tenant ${tenantId}`);
    if (key.revokedAt) {
      out.line(`API key ${keyId} was already revoked at ${key.revokedAt}`);
      out.json(keyJson(key));
      return;
    }
    if (!(await storage.revokeApiKey(tenantId, keyId))) {
      throw new AppError('KEY_NOT_FOUND', `API key ${keyId} not found for tenant ${tenantId}`);
    }
    await auditCli(storage, {
      tenantId,
      action: 'key.revoke',
      target: keyId,
      details: { name: key.name, prefix: key.prefix },
    });
    const revoked = (await storage.getApiKey(tenantId, keyId)) ?? key;
    out.line(`Revoked API key ${keyId} (${key.prefix}…) of tenant ${tenantId}`);
    out.json(keyJson(revoked));
  });
}
