import type { Config } from '../../config/config-schema.ts';
import { requiredArg, tenantIdArg } from '../cli-args.ts';
import { auditCli, requireTenant, withStorage } from '../cli-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { purgeTurnEvents } from '../purge-turn-events.ts';
import { UsageError } from '../usage-error.ts';

/** `enclave erase-user <tenant> <user-id> --yes`: deletes one end user's sessions, messages and usage records. */
export async function eraseUserCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, tenantArg, userArg] = args.positionals;
  const tenantId = tenantIdArg(tenantArg, 'erase-user');
  const userId = requiredArg(userArg, 'erase-user needs a user id: erase-user <tenant> <user-id> --yes');
  if (!args.flags.has('--yes')) {
    throw new UsageError(`Erasing user ${userId} of tenant ${tenantId} deletes their sessions for good; add --yes`);
  }
  await withStorage(config, async ({ storage }) => {
    await requireTenant(storage, tenantId);
    const erased = await storage.eraseUser(tenantId, userId);
    await purgeTurnEvents(config, out, (events) => events.purge(tenantId, erased.turnIds));
    const counts = { sessions: erased.sessions, messages: erased.messages, usage_records: erased.usageRecords };
    await auditCli(storage, { tenantId, action: 'user.erase', target: userId, details: counts });
    out.line(
      `Erased user ${userId} of tenant ${tenantId}: ${counts.sessions} sessions, ${counts.messages} messages, ${counts.usage_records} usage records`,
    );
    out.json({ tenant_id: tenantId, user_id: userId, ...counts });
  });
}
