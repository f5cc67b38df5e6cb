import type { Config } from '../../config/config-schema.ts';
import { createConversationService } from '../../core/conversations/conversation-service.ts';
import { LEGACY_SESSION_ID } from '../../core/conversations/session.ts';
import { AppError } from '../../core/errors.ts';
import { createIds } from '../../core/ids.ts';
import { isTenantId } from '../../core/tenants/tenant-id.ts';
import { createStorage } from '../../storage/create-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { parseLimit } from '../parse-limit.ts';
import { UsageError } from '../usage-error.ts';

/** `enclave history <tenant> [--limit N] [--before CURSOR]`: the legacy interaction history. */
export async function historyCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const tenantId = args.positionals[1];
  if (!tenantId || !isTenantId(tenantId)) throw new UsageError('history needs a valid tenant id');
  const limit = parseLimit(args.options.limit, 100, 1000);
  const { storage } = await createStorage({ ...config, migrate: true });
  try {
    if (!(await storage.getTenant(tenantId))) throw new AppError('TENANT_NOT_FOUND');
    const conversations = createConversationService({ storage, ids: createIds() });
    const page = await conversations.interactionHistory(tenantId, LEGACY_SESSION_ID, {
      limit,
      before: args.options.before,
    });
    for (const { message, response } of page.data) out.line(`> ${message}\n${response}\n`);
    if (page.hasMore) out.line(`(older interactions: --before ${page.nextCursor})`);
    const history = page.data.map(({ message, response }) => ({ message, response }));
    out.json({ tenant_id: tenantId, history, has_more: page.hasMore, next_cursor: page.nextCursor });
  } finally {
    await storage.close();
  }
}
