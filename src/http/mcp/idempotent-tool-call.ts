import type { CallToolResult } from '@modelcontextprotocol/server';
import { storedTurnResult } from '../../core/agents/stored-turn-result.ts';
import { AppError, isAppError } from '../../core/errors.ts';
import { IDEMPOTENCY_KEY_PATTERN, requestFingerprint } from '../../core/turns/idempotency.ts';
import type { AppServices } from '../app-services.ts';
import { STORED_FAILURES } from '../idempotency.ts';
import { type McpCaller, runTurnOnce, type ToolArgs, toolError, toolResult } from './agent-turn.ts';

/** The `_meta` key of a `tools/call` that makes it exactly-once, like `Idempotency-Key` on the HTTP API. */
export const IDEMPOTENCY_META_KEY = 'enclave/idempotency_key';

/**
 * One tool call, exactly once when it carries an idempotency key in `_meta`: the first call with
 * the key claims it and its turn commits under the claim; a retry gets the stored result (or, when
 * the first call's process died after the commit, the result read back from the stored turn)
 * without running the model again. The key is the same per-tenant key space as the HTTP API's.
 */
export async function runAgentTurn(
  services: AppServices,
  caller: McpCaller,
  agentId: string,
  args: ToolArgs,
  meta: Record<string, unknown> | undefined,
): Promise<CallToolResult> {
  const key = meta?.[IDEMPOTENCY_META_KEY];
  if (key === undefined || !services.idempotency) return runTurnOnce(services, caller, agentId, args, null);
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `_meta.${IDEMPOTENCY_META_KEY}: must be 1 to 255 printable ASCII characters`,
    );
  }
  const { access, principal } = caller;
  const idempotency = services.idempotency;
  const fingerprint = requestFingerprint({
    method: 'MCP',
    route: 'tools/call',
    params: { name: agentId },
    body: args,
    caller:
      principal.kind === 'tenant'
        ? principal.keyId
          ? `key:${principal.keyId}`
          : `jwt:${principal.userId ?? ''}`
        : principal.kind,
  });
  const userId = principal.kind === 'tenant' ? principal.userId : null;
  const begun = await idempotency.begin(access.tenantId, { key, fingerprint, userId });
  if (begun.kind === 'replay') return begun.response.body as CallToolResult;
  if (begun.kind === 'committed') {
    const result = storedTurnResult(await services.storage.getTurn(access.tenantId, begun.turnId));
    // The row and the turn commit together and are erased together: a turn gone is an erased one.
    if (!result) throw new AppError('TURN_NOT_FOUND');
    return toolResult(result, agentId);
  }
  const { claim } = begun;
  let result: CallToolResult;
  try {
    result = await runTurnOnce(services, caller, agentId, args, { key: claim.key, token: claim.token });
  } catch (error) {
    const final = isAppError(error) && STORED_FAILURES.has(error.code);
    await settle(caller, () =>
      final
        ? idempotency.complete(claim, {
            status: 'failed',
            response: { status: error.status, body: toolError(error), turnId: null },
          })
        : idempotency.release(claim),
    );
    throw error;
  }
  const turnId = (result.structuredContent as { turn_id: string }).turn_id;
  await settle(caller, () =>
    idempotency.complete(claim, { status: 'completed', response: { status: 200, body: result, turnId } }),
  );
  return result;
}

/** Settling a claim may fail (the store away): the result still goes out, the key expires in progress. */
async function settle(caller: McpCaller, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    caller.log.warn({ err: error }, 'could not settle an idempotency key');
  }
}
