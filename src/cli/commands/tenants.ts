import type { Config } from '../../config/config-schema.ts';
import { AppError } from '../../core/errors.ts';
import type { Tenant } from '../../core/tenants/tenant.ts';
import { isTenantId } from '../../core/tenants/tenant-id.ts';
import { createStorage } from '../../storage/create-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { parseLimit } from '../parse-limit.ts';
import { UsageError } from '../usage-error.ts';

const tenantJson = (tenant: Tenant) => ({ id: tenant.id, name: tenant.name, created_at: tenant.createdAt });

/** `enclave tenants list|create <id> [--name N]|delete <id> --yes`. */
export async function tenantsCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, action, tenantId] = args.positionals;
  const { admin, storage } = await createStorage({ ...config, migrate: true });
  try {
    if (action === 'list') {
      const limit = parseLimit(args.options.limit, 1000, 10_000);
      const tenants = (await admin.listTenants({ limit, afterId: null })).map(tenantJson);
      out.table(tenants);
      out.json({ data: tenants });
      return;
    }
    if (!tenantId || !isTenantId(tenantId)) throw new UsageError(`tenants ${action ?? ''} needs a valid tenant id`);
    if (action === 'create') {
      const tenant = await admin.createTenant({ id: tenantId, name: args.options.name ?? tenantId });
      out.line(`Created tenant ${tenant.id}`);
      out.json(tenantJson(tenant));
    } else if (action === 'delete') {
      if (!args.flags.has('--yes')) throw new UsageError(`Deleting tenant ${tenantId} removes all its data; add --yes`);
      if (!(await admin.deleteTenant(tenantId))) throw new AppError('TENANT_NOT_FOUND');
      out.line(`Deleted tenant ${tenantId} and all its data`);
      out.json({ deleted: tenantId });
    } else {
      throw new UsageError('tenants needs one of: list, create <id>, delete <id> --yes');
    }
  } finally {
    await storage.close();
  }
}
