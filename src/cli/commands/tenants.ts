import type { Config } from '../../config/config-schema.ts';
import { AppError } from '../../core/errors.ts';
import type { Tenant, TenantStatus } from '../../core/tenants/tenant.ts';
import { tenantIdArg } from '../cli-args.ts';
import { auditCli, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { parseLimit } from '../parse-limit.ts';
import { purgeLimitCounters } from '../purge-limit-counters.ts';
import { purgeTurnEvents } from '../purge-turn-events.ts';
import { UsageError } from '../usage-error.ts';

const ACTIONS = 'tenants needs one of: list, create <id>, delete <id> --yes, suspend <id>, resume <id>';

const tenantJson = (tenant: Tenant) => ({
  id: tenant.id,
  name: tenant.name,
  status: tenant.status,
  created_at: tenant.createdAt,
});

const STATUS_BY_ACTION: Record<string, TenantStatus> = { suspend: 'suspended', resume: 'active' };

/** `enclave tenants list|create <id> [--name N]|delete <id> --yes|suspend <id>|resume <id>`. */
export async function tenantsCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, action, id] = args.positionals;
  if (action === 'list') {
    const limit = parseLimit(args.options.limit, 1000, 10_000);
    const tenants = await withStorage(config, async ({ admin }) => admin.listTenants({ limit, afterId: null }));
    out.table(tenants.map(({ id, name, createdAt }) => ({ id, name, created_at: createdAt })));
    out.json({ data: tenants.map(tenantJson) });
    return;
  }
  if (action !== 'create' && action !== 'delete' && action !== 'suspend' && action !== 'resume') {
    throw new UsageError(ACTIONS);
  }
  const tenantId = tenantIdArg(id, `tenants ${action}`);
  if (action === 'delete' && !args.flags.has('--yes')) {
    throw new UsageError(`Deleting tenant ${tenantId} removes all its data; add --yes`);
  }
  await withStorage(config, async ({ admin, storage }) => {
    if (action === 'create') {
      const tenant = await admin.createTenant({ id: tenantId, name: args.options.name ?? tenantId });
      await purgeLimitCounters(config, out, tenantId);
      await auditCli(storage, { tenantId, action: 'tenant.create', target: tenantId, details: { name: tenant.name } });
      out.line(`Created tenant ${tenant.id}`);
      out.json(tenantJson(tenant));
    } else if (action === 'delete') {
      // Checked first: deleteTenant also clears orphaned rows (the audit log included) of a missing tenant.
      if (!(await storage.getTenant(tenantId)) || !(await admin.deleteTenant(tenantId))) {
        throw new AppError('TENANT_NOT_FOUND');
      }
      await purgeTurnEvents(config, out, (events) => events.purgeTenant(tenantId));
      await purgeLimitCounters(config, out, tenantId);
      // Written after the delete (which removes the tenant's earlier audit entries), so the deletion stays on record.
      await auditCli(storage, { tenantId, action: 'tenant.delete', target: tenantId });
      out.line(`Deleted tenant ${tenantId} and all its data`);
      out.json({ deleted: tenantId });
    } else {
      const status = STATUS_BY_ACTION[action] ?? 'active';
      const before = await storage.getTenant(tenantId);
      if (!before) throw new AppError('TENANT_NOT_FOUND');
      if (before.status === status) {
        out.line(`Tenant ${tenantId} is already ${status}`);
        out.json(tenantJson(before));
        return;
      }
      const tenant = await admin.updateTenant(tenantId, { status });
      if (!tenant) throw new AppError('TENANT_NOT_FOUND');
      await auditCli(storage, { tenantId, action: `tenant.${action}`, target: tenantId, details: { status } });
      out.line(`${action === 'suspend' ? 'Suspended' : 'Resumed'} tenant ${tenantId}`);
      out.json(tenantJson(tenant));
    }
  });
}
