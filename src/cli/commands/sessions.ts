import type { Config } from '../../config/config-schema.ts';
import { createConversationService } from '../../core/conversations/conversation-service.ts';
import { AppError } from '../../core/errors.ts';
import { createIds } from '../../core/ids.ts';
import { isTenantId } from '../../core/tenants/tenant-id.ts';
import { toSessionJson } from '../../http/schemas/session.ts';
import { createStorage } from '../../storage/create-storage.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { parseLimit } from '../parse-limit.ts';
import { UsageError } from '../usage-error.ts';

/** `enclave sessions list --tenant T [--limit N]`. */
export async function sessionsCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const [, action] = args.positionals;
  const tenantId = args.options.tenant;
  if (action !== 'list') throw new UsageError('sessions needs: list --tenant <id>');
  if (!tenantId || !isTenantId(tenantId)) throw new UsageError('sessions list needs --tenant <id>');
  const limit = parseLimit(args.options.limit, 100, 100);
  const { storage } = await createStorage({ ...config, migrate: true });
  try {
    if (!(await storage.getTenant(tenantId))) throw new AppError('TENANT_NOT_FOUND');
    const conversations = createConversationService({ storage, ids: createIds() });
    const page = await conversations.listSessions(tenantId, { limit });
    out.table(
      page.data.map((session) => ({
        id: session.id,
        title: session.title ?? '',
        messages: session.messageCount,
        // A Responses API branch: the session it was forked from.
        forked_from: session.forkedFrom?.sessionId ?? '',
        updated_at: session.updatedAt,
      })),
    );
    out.json({ data: page.data.map(toSessionJson), has_more: page.hasMore, next_cursor: page.nextCursor });
  } finally {
    await storage.close();
  }
}
