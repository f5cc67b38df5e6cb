import { generateApiKey } from '../../auth/api-key.ts';
import type { Config } from '../../config/config-schema.ts';
import type { AdminKeyRecord } from '../../core/auth/api-key-record.ts';
import { AppError } from '../../core/errors.ts';
import { createIds } from '../../core/ids.ts';
import { requiredArg } from '../cli-args.ts';
import { auditCli, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { UsageError } from '../usage-error.ts';
import { SHOWN_ONCE } from './shown-once.ts';

const ACTIONS = 'admin-key needs one of: create [--name N], list, revoke <id>';

const adminKeyJson = (key: AdminKeyRecord) => ({
  id: key.id,
  name: key.name,
  revoked_at: key.revokedAt,
  created_at: key.createdAt,
});

/** `enclave admin-key create|list|revoke`: platform admin keys (audited with tenant ''). */
export async function adminKeysCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, action, keyIdArg] = args.positionals;
  if (action === 'create') {
    const name = args.options.name ?? '';
    await withStorage(config, async ({ admin, storage }) => {
      const { key, hash } = generateApiKey();
      const record = await admin.createAdminKey({ id: createIds().next('adm'), name, hash });
      await auditCli(storage, { tenantId: '', action: 'admin_key.create', target: record.id, details: { name } });
      out.line(`Created admin key ${record.id}\n`);
      out.line(`  key: ${key}`);
      out.line(`  id:  ${record.id}\n`);
      out.json({ ...adminKeyJson(record), key });
      out.warn(`${SHOWN_ONCE} It can act for every tenant.`);
    });
  } else if (action === 'list') {
    const keys = await withStorage(config, ({ admin }) => admin.listAdminKeys());
    out.table(
      keys.map((key) => ({ id: key.id, name: key.name, created_at: key.createdAt, revoked_at: key.revokedAt ?? '' })),
    );
    out.json({ data: keys.map(adminKeyJson) });
  } else if (action === 'revoke') {
    const keyId = requiredArg(keyIdArg, 'admin-key revoke needs a key id: admin-key revoke <id>');
    await withStorage(config, async ({ admin, storage }) => {
      const key = (await admin.listAdminKeys()).find((candidate) => candidate.id === keyId);
      if (!key) throw new AppError('KEY_NOT_FOUND', `Admin key ${keyId} not found`);
      if (key.revokedAt) {
        out.line(`Admin key ${keyId} was already revoked at ${key.revokedAt}`);
        out.json(adminKeyJson(key));
        return;
      }
      if (!(await admin.revokeAdminKey(keyId))) throw new AppError('KEY_NOT_FOUND', `Admin key ${keyId} not found`);
      await auditCli(storage, { tenantId: '', action: 'admin_key.revoke', target: keyId, details: { name: key.name } });
      const revoked = (await admin.listAdminKeys()).find((candidate) => candidate.id === keyId) ?? key;
      out.line(`Revoked admin key ${keyId}`);
      out.json(adminKeyJson(revoked));
    });
  } else {
    throw new UsageError(ACTIONS);
  }
}
