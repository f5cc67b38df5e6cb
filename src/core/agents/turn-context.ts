import type { LanguageModel } from 'ai';
import { contextMemoOf } from '../context/context-memo.ts';
import { createRollingSummaryWriter } from '../context/rolling-summary.ts';
import { ESTIMATE_COUNTER, type TokenCounter, type TokenCounterFor } from '../context/token-counter.ts';
import type { Message } from '../conversations/message.ts';
import type { Ids } from '../ids.ts';
import type { Storage } from '../ports.ts';
import { type BuiltContext, buildContext } from './build-context.ts';
import type { AdmissionLimits, TurnAdmission } from './turn-admission.ts';

export interface TurnContextDeps {
  storage: Storage;
  ids: Ids;
  now: () => number;
  admission?: TurnAdmission;
  /** The token counter per model family; the estimate for every model when absent. */
  tokenCounter?: TokenCounterFor;
  /** Where a failed summary or tokenizer load is reported (the turn goes on without it). */
  log?: { warn(details: Record<string, unknown>, message: string): void };
  settings: {
    /** Whether older turns are folded into a rolling summary (CONTEXT_SUMMARY; default true). */
    contextSummary?: boolean;
    /** Longest tool result in the context (CONTEXT_TOOL_RESULT_MAX_CHARS). */
    contextToolResultMaxChars?: number;
  };
}

export interface TurnContextRequest {
  tenantId: string;
  current: Message;
  model: LanguageModel & { provider: string; modelId: string };
  systemPrompt: string;
  budgetTokens: number;
  turn: { turnId: string; keyId: string | null; userId: string | null; configVersion: number };
  limits?: AdmissionLimits | undefined;
  signal?: AbortSignal | undefined;
}

/** The model's counter; the estimate when the tokenizer cannot be loaded (logged, never fatal). */
export async function counterFor(
  deps: Pick<TurnContextDeps, 'tokenCounter' | 'log'>,
  model: TurnContextRequest['model'],
): Promise<TokenCounter> {
  if (!deps.tokenCounter) return ESTIMATE_COUNTER;
  try {
    return await deps.tokenCounter({ provider: model.provider, modelId: model.modelId });
  } catch (error) {
    deps.log?.warn({ err: error, model: model.modelId }, 'tokenizer unavailable; counting with the estimate');
    return ESTIMATE_COUNTER;
  }
}

/**
 * The context of one turn: the model's token counter, and a rolling summary written by the turn's
 * own model, charged to the turn's usage ledger and token limits.
 */
export async function buildTurnContext(
  deps: TurnContextDeps,
  request: TurnContextRequest,
): Promise<BuiltContext & { counter: TokenCounter }> {
  const counter = await counterFor(deps, request.model);
  const { admission, log } = deps;
  const scope = {
    tenantId: request.tenantId,
    keyId: request.limits?.key ? request.turn.keyId : null,
  };
  const summaries =
    deps.settings.contextSummary === false
      ? null
      : createRollingSummaryWriter({
          storage: deps.storage,
          model: request.model,
          counter,
          ids: deps.ids,
          now: deps.now,
          tenantId: request.tenantId,
          sessionId: request.current.sessionId,
          turn: request.turn,
          signal: request.signal,
          // Token limits count the summary too; a counter that cannot be reached costs the summary nothing.
          onUsage: async (usage) => {
            if (!admission || !request.limits) return;
            await admission
              .recordTokens(scope, usage.totalTokens, request.limits)
              .catch((error: unknown) => log?.warn({ err: error }, 'could not charge the summary to token limits'));
          },
        });
  const built = await buildContext(deps.storage, request.tenantId, request.current, {
    systemPrompt: request.systemPrompt,
    budgetTokens: request.budgetTokens,
    counter,
    ...(deps.settings.contextToolResultMaxChars ? { toolResultMaxChars: deps.settings.contextToolResultMaxChars } : {}),
    summaries,
    memo: contextMemoOf(deps.storage),
    // Ids only: the error of a provider may quote the conversation.
    onSummaryError: (error) =>
      log?.warn(
        {
          tenantId: request.tenantId,
          sessionId: request.current.sessionId,
          turnId: request.turn.turnId,
          error: error instanceof Error ? error.name : 'unknown',
        },
        'rolling summary failed; the context holds the newest turns only',
      ),
  });
  // The counter goes with the context: usage a provider does not report is counted with it.
  return { ...built, counter };
}
