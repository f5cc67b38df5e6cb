import type { LanguageModel, ToolSet } from 'ai';
import { DEFAULT_AGENT_ID } from '../agent-catalog/agent.ts';
import type { TokenCounterFor } from '../context/token-counter.ts';
import type { Message, NewMessage, Usage } from '../conversations/message.ts';
import type { NewSession } from '../conversations/session.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Ids } from '../ids.ts';
import type { Storage } from '../ports.ts';
import { assertResponseLanguage, withResponseLanguage } from '../tenants/response-language.ts';
import type { TenantConfig, TenantConfigVersion } from '../tenants/tenant-config.ts';
import type { TurnClaim } from '../turns/idempotency.ts';
import { linkSignals } from '../turns/linked-signal.ts';
import type { SessionConcurrency, SessionLock } from '../turns/session-lock.ts';
import type { TurnEventLog } from '../turns/turn-event-log.ts';
import type { TurnRegistry } from '../turns/turn-registry.ts';
import { estimateMissingUsage, warnUsageEstimated } from './estimate-missing-usage.ts';
import { generateSteps } from './generate-steps.ts';
import { providerResponseOf } from './provider-response.ts';
import { hasClientCall, isClientTool, type ModelSettings } from './step-loop.ts';
import { addUsage, newMessage, type Step, stepsToMessages, toUsage } from './steps-to-messages.ts';
import { streamSteps } from './stream-steps.ts';
import type { AdmissionLimits, TurnAdmission } from './turn-admission.ts';
import { buildTurnContext, counterFor } from './turn-context.ts';
import { isFinalTurnEvent, type TurnEvent, type TurnEventBody } from './turn-event.ts';
import { type CallSettings, type ClientTool, callModelSettings, clientToolSet, type TurnInput } from './turn-input.ts';
import { inputContext, unstoredMessage } from './turn-input-context.ts';

export interface AgentSettings {
  systemPrompt: string;
  /** Token budget of the context handed to the model (system prompt included). */
  contextBudgetTokens: number;
  /** Most model steps per turn; each tool round trip is one step. */
  maxToolSteps: number;
  /** Fold older turns into a rolling summary (CONTEXT_SUMMARY); default true. */
  contextSummary?: boolean;
  /** Longest tool result in the context, in characters (CONTEXT_TOOL_RESULT_MAX_CHARS); default 2,000. */
  contextToolResultMaxChars?: number;
}

/** The turn a tool set is resolved for. */
export interface ToolTurn {
  sessionId: string;
  turnId: string;
  /** The end user the turn is made for: a per-user MCP server uses this user's credential only. */
  userId?: string | null;
  /** The agent's MCP servers (and tools); absent or empty offers none. */
  mcpServers?: TenantConfig['mcpServers'];
  /** Aborts tool listing (the turn's signal). */
  signal?: AbortSignal | undefined;
}

export interface AgentDeps {
  storage: Storage;
  /**
   * The model port: the AI SDK language model that the tenant's config names. Called before the
   * user message is stored, so a refusal (MODEL_NOT_ALLOWED, PROVIDER_KEY_MISSING) stores nothing.
   */
  resolveModel(tenantId: string, config: TenantConfig): ResolvedModel | Promise<ResolvedModel>;
  /**
   * Tools offered to the model: those the tenant's config enables, bound to this tenant (and turn,
   * when given) by the caller; never to a tenant a model names. Called before the user message is
   * stored, so a refusal (MCP_USER_CREDENTIAL_MISSING, MCP_SERVER_UNAVAILABLE) stores nothing.
   */
  resolveTools(tenantId: string, names: readonly string[], turn?: ToolTurn): ToolSet | Promise<ToolSet>;
  /** Token counting per model family; the documented estimate for every model when absent. */
  tokenCounter?: TokenCounterFor;
  /** Warnings the turn survives (a failed rolling summary); absent means they are dropped. */
  log?: { warn(details: Record<string, unknown>, message: string): void };
  ids: Ids;
  now: () => number;
  settings: AgentSettings;
  /** Concurrency and token limits; absent means unlimited. */
  admission?: TurnAdmission;
  /** One turn at a time per session (see `TurnRequest.sessionConcurrency`); absent means no session lock. */
  sessionLock?: SessionLock;
  /** Running turns, cancellable from any replica; absent means a turn stops only through `signal`. */
  turns?: TurnRegistry;
  /** Where streamed turns' events are kept for resuming; absent means they are only passed to `onEvent`. */
  events?: TurnEventLog;
}

export interface TurnRequest {
  tenantId: string;
  sessionId: string;
  text: string;
  requestId: string | null;
  /** The config of the agent that runs the turn; the turn records its version. */
  config: TenantConfigVersion;
  /** The agent whose version `config` is, recorded on the reply and the usage record; absent is `default`. */
  agentId?: string;
  /** Who is charged in the usage ledger: the API key and end user, when known. */
  actor: { keyId: string | null; userId: string | null };
  /** Limits that apply to this turn: the tenant's and, for an API key with its own, the key's. */
  limits?: AdmissionLimits;
  /** Create the tenant if it does not exist (only while authentication is disabled). */
  createTenant?: boolean;
  /** Create this session if it does not exist (the legacy session). */
  createSession?: NewSession | null;
  /** Response language of this turn, over the config's; one of RESPONSE_LANGUAGES or UNSUPPORTED_LANGUAGE. */
  language?: string | null;
  /**
   * The session's policy for a turn sent while another runs there: `enqueue` (wait, in arrival
   * order) or `reject` (SESSION_BUSY). Absent (the legacy endpoint) runs the turn beside the others.
   */
  sessionConcurrency?: SessionConcurrency | null;
  /**
   * Aborts the model call; partial output is stored as failed and the turn fails with
   * PROVIDER_ERROR. A cancel through `deps.turns` also stores it, and fails with TURN_CANCELLED.
   */
  signal?: AbortSignal;
  /**
   * When given, the model is streamed and every event is passed here as it happens, numbered by
   * `seq`, and appended to `deps.events`; `stored` resolves once the event is in that log.
   */
  onEvent?: (event: TurnEvent, stored: Promise<void>) => void;
  /**
   * The request's Idempotency-Key claim: the turn's commit marks it completed in the same
   * transaction, or fails with IDEMPOTENCY_IN_PROGRESS (storing nothing) when it was taken over.
   */
  idempotency?: TurnClaim | null;
  /**
   * The caller's own messages (the OpenAI-compatible APIs): stateless (`history: 'none'`) or after
   * the session's history. Absent: the turn is `text`, after the session's stored history.
   */
  input?: TurnInput;
  /**
   * Function tools the caller runs itself, offered beside the agent's own. A model call that calls
   * one ends the turn: `finishReason` is `tool-calls` and `pendingToolCalls` holds the calls.
   */
  clientTools?: readonly ClientTool[];
  /** Sampling and output settings of this turn (over the agent's), and its tool choice. */
  callSettings?: CallSettings;
}

export interface TurnResult {
  turnId: string;
  userMessage: Message;
  /** Assistant and tool messages of the turn, in order; the last assistant one is `reply`. */
  messages: Message[];
  reply: Message;
  usage: Usage;
  latencyMs: number;
  /**
   * Why the turn's last model call ended: `stop`, `length` (the output token cap), `tool-calls` (a
   * client tool was called, or the step cap was reached while calling tools), `content-filter`…
   */
  finishReason: NonNullable<Step['finishReason']> | 'unknown';
  /** Calls of client tools the caller must run and answer (empty unless `finishReason` is `tool-calls`). */
  pendingToolCalls: { toolCallId: string; toolName: string; input: unknown }[];
  /** False for a stateless turn without `store`: its messages were not stored (only its usage record). */
  stored: boolean;
}

type ResolvedModel = LanguageModel & { provider: string; modelId: string };

/**
 * The one turn pipeline every interface calls: persist the user message (acknowledged only
 * once stored) → build a bounded context → call the model with the tool loop → persist the
 * reply, tool calls and usage → return. Authorisation and admission happen before this call.
 */
export async function runAgentTurn(deps: AgentDeps, request: TurnRequest): Promise<TurnResult> {
  // Before admission: a bad override takes no slot and stores nothing.
  if (request.language) assertResponseLanguage(request.language);
  if (!deps.sessionLock || !request.sessionConcurrency) return admitTurn(deps, request);
  // Before admission too: a turn waiting for its session holds no concurrent-turn slot.
  const lease = await deps.sessionLock.acquire(request.tenantId, request.sessionId, {
    mode: request.sessionConcurrency,
    signal: request.signal,
  });
  try {
    return await admitTurn(deps, request);
  } finally {
    // After a committed turn nothing may fail it: a lease that cannot be released expires on its own.
    await lease
      .release()
      .catch((error: unknown) => warnAfterTurn(deps, request, error, 'could not release a session lock'));
  }
}

/** Takes a concurrent-turn slot and checks the token limits, then runs the turn. */
async function admitTurn(deps: AgentDeps, request: TurnRequest): Promise<TurnResult> {
  const { admission } = deps;
  if (!admission || !request.limits) return runAdmittedTurn(deps, request);
  // Key-level counters exist only for keys with limits of their own (set when the key is created).
  const scope = {
    tenantId: request.tenantId,
    keyId: request.limits.key ? request.actor.keyId : null,
    agentId: request.limits.agent ? (request.agentId ?? null) : null,
  };
  // Without turn limits there is nothing to admit; tokens are still counted, so a quota set later sees today's use.
  if (!hasTurnLimits(request.limits)) {
    const result = await runAdmittedTurn(deps, request);
    await chargeTokens(deps, request, scope, result);
    return result;
  }
  const slot = await admission.admit(scope, request.limits);
  try {
    const result = await runAdmittedTurn(deps, request);
    await chargeTokens(deps, request, scope, result);
    return result;
  } finally {
    // A slot that cannot be released (the counter store is away) expires with its TTL.
    await slot
      .release()
      .catch((error: unknown) => warnAfterTurn(deps, request, error, 'could not release a turn slot'));
  }
}

/**
 * Charges a committed turn's tokens to the limit counters, best effort: the turn and its usage
 * record are stored, so a counter that cannot be reached must not turn it into an error (its
 * retry would run and charge it again). The usage ledger stays the truth; the day and month
 * counters are rebuilt from it when they are missing.
 */
async function chargeTokens(
  deps: AgentDeps,
  request: TurnRequest,
  scope: { tenantId: string; keyId: string | null },
  result: TurnResult,
): Promise<void> {
  try {
    if (request.limits) await deps.admission?.recordTokens(scope, result.usage.totalTokens, request.limits);
  } catch (error) {
    warnAfterTurn(deps, request, error, 'could not charge a stored turn to token limits', result.turnId);
  }
}

/** Ids only: a post-commit side effect failed and the committed turn goes on as a success. */
function warnAfterTurn(deps: AgentDeps, request: TurnRequest, error: unknown, message: string, turnId?: string): void {
  deps.log?.warn(
    {
      err: error,
      tenant_id: request.tenantId,
      session_id: request.sessionId,
      request_id: request.requestId,
      ...(turnId ? { turn_id: turnId } : {}),
    },
    message,
  );
}

function hasTurnLimits(limits: AdmissionLimits): boolean {
  return [limits.tenant, limits.key, limits.agent ?? null].some(
    (settings) =>
      settings !== null &&
      (settings.concurrentTurns !== null ||
        settings.tokensPerMinute !== null ||
        settings.tokensPerDay !== null ||
        settings.tokensPerMonth !== null),
  );
}

/** Registers the turn while it runs, so that a cancel on any replica reaches it. */
async function runAdmittedTurn(deps: AgentDeps, request: TurnRequest): Promise<TurnResult> {
  const turnId = deps.ids.next('msg');
  // A stateless turn that stores nothing keeps no event log either: nothing resumes it, and nothing of it stays.
  const keepsEvents = !(request.input?.history === 'none' && request.input.store === null);
  const emit = request.onEvent
    ? sequenced(keepsEvents ? deps : { events: undefined }, request.tenantId, request.onEvent)
    : undefined;
  if (!deps.turns) return runTrackedTurn(deps, request, turnId, emit).catch(endStream(emit, turnId));
  const tracked = await deps.turns.begin(request.tenantId, turnId);
  const linked = request.signal ? linkSignals(request.signal, tracked.signal) : null;
  try {
    const signal = linked?.signal ?? tracked.signal;
    return await runTrackedTurn(deps, { ...request, signal }, turnId, emit).catch(endStream(emit, turnId));
  } finally {
    linked?.end();
    await tracked.end();
  }
}

async function runTrackedTurn(
  deps: AgentDeps,
  request: TurnRequest,
  turnId: string,
  emit: Emitter | undefined,
): Promise<TurnResult> {
  const { storage, ids, settings } = deps;
  const { config, version: configVersion } = request.config;
  const agentId = request.agentId ?? 'default';
  const { input } = request;
  const model = await deps.resolveModel(request.tenantId, config);
  // A gateway call (no agent prompt) gets no server tools either; client tools are checked before anything is stored.
  const serverTools =
    input && !input.agentPrompt
      ? {}
      : await deps.resolveTools(request.tenantId, config.tools, {
          sessionId: request.sessionId,
          turnId,
          userId: request.actor.userId,
          mcpServers: config.mcpServers ?? [],
          signal: request.signal,
        });
  const tools = request.clientTools?.length
    ? { ...serverTools, ...clientToolSet(request.clientTools, serverTools) }
    : serverTools;
  const stateless = input?.history === 'none';
  const stores = !stateless || input?.store != null;
  const newUserMessage = {
    ...newMessage(
      { ids, turnId, model: '', requestId: request.requestId, configVersion, userId: request.actor.userId },
      'user',
      [{ type: 'text' as const, text: request.text }],
      null,
      null,
    ),
    id: turnId,
  };
  const createSession =
    stateless && input?.store
      ? {
          id: request.sessionId,
          ...input.store,
          userId: request.actor.userId,
          // The default agent is stored as no agent, as every session of it is (a stored `default` names no agent row).
          agentId: request.agentId && request.agentId !== DEFAULT_AGENT_ID ? request.agentId : null,
        }
      : (request.createSession ?? null);
  const userMessage = !stores
    ? unstoredMessage(request.tenantId, request.sessionId, newUserMessage, deps.now())
    : await storage.beginTurn(request.tenantId, {
        sessionId: request.sessionId,
        createTenant: request.createTenant ?? false,
        createSession,
        message: newUserMessage,
      });
  emit?.({ type: 'turn-start', turnId, sessionId: request.sessionId, userMessage });

  const systemPrompt =
    input && !input.agentPrompt
      ? null
      : withResponseLanguage(config.systemPrompt ?? settings.systemPrompt, request.language ?? config.language);
  const contextRequest = {
    tenantId: request.tenantId,
    current: userMessage,
    model,
    systemPrompt: systemPrompt ?? '',
    budgetTokens: config.contextBudgetTokens ?? settings.contextBudgetTokens,
    turn: { turnId, keyId: request.actor.keyId, userId: request.actor.userId, configVersion },
    limits: request.limits,
    signal: request.signal,
  };
  const context = !input
    ? await buildTurnContext(deps, contextRequest)
    : await inputContext(
        stateless ? null : await buildTurnContext(deps, contextRequest),
        await counterFor(deps, model),
        systemPrompt,
        input.messages,
      );
  const modelName = `${model.provider}:${model.modelId}`;
  const settingsOfCall = callModelSettings(modelSettings(config), request.callSettings);
  const call = {
    model,
    instructions: context.instructions,
    messages: context.messages,
    tools,
    settings: settingsOfCall,
    maxSteps: settings.maxToolSteps,
    abortSignal: request.signal,
  };
  const started = deps.now();
  let partial = '';
  let partialReasoning = '';
  let steps: Step[];
  try {
    // A turn someone watches as it is made streams from the model, and so do the OpenAI-compatible
    // calls (the caller's messages, client tools, call settings), as they always have: what their
    // upstreams are sent is unchanged. Any other turn (a legacy interact, a JSON `/v1` turn) is one
    // `doGenerate` per step.
    if (emit || input || request.clientTools?.length || request.callSettings) {
      steps = await streamSteps(call, (part) => {
        if (part.type === 'text-delta') {
          partial += part.text;
          emit?.({ type: 'text-delta', turnId, delta: part.text });
        } else if (part.type === 'reasoning-delta') {
          partialReasoning += part.text;
          emit?.({ type: 'reasoning-delta', turnId, delta: part.text });
        } else if (part.type === 'tool-call') {
          emit?.({
            type: 'tool-call',
            turnId,
            toolCallId: part.toolCallId,
            toolName: part.toolName,
            input: part.input,
            ...(isClientTool(tools, part.toolName) ? { clientSide: true as const } : {}),
          });
        } else {
          const isError = part.type === 'tool-error';
          // The message alone, as `stepsToMessages` stores it, so the event and the stored result agree.
          const output = isError
            ? part.error instanceof Error
              ? part.error.message
              : String(part.error)
            : part.output;
          emit?.({
            type: 'tool-result',
            turnId,
            toolCallId: part.toolCallId,
            toolName: part.toolName,
            output,
            isError,
          });
        }
      });
    } else {
      steps = await generateSteps(call);
    }
  } catch (error) {
    if (stores) {
      await storeFailure(deps, request, {
        turnId,
        modelName,
        partial,
        partialReasoning,
        latencyMs: deps.now() - started,
        configVersion,
        agentId,
      });
    }
    const failure =
      cancelOf(request.signal) ??
      (isAppError(error) ? error : new AppError('PROVIDER_ERROR', 'The model call failed', { cause: error }));
    logModelFailure(deps, request, { turnId, modelName, failure, error });
    emit?.({ type: 'error', turnId, code: failure.code, message: failure.message });
    await emit?.stored();
    throw failure;
  }
  const latencyMs = deps.now() - started;
  const counted = estimateMissingUsage(steps, context.counter, context.tokens);
  if (counted.estimated) warnUsageEstimated(deps.log, model.provider, model.modelId);
  const messages = stepsToMessages(counted.steps, {
    ids,
    turnId,
    model: modelName,
    requestId: request.requestId,
    latencyMs,
    configVersion,
    agentId,
    userId: request.actor.userId,
  });
  const usage = messages.reduce<Usage>(
    (total, message) => (message.usage ? addUsage(total, message.usage) : total),
    toUsage(undefined),
  );
  const toolCalls = messages.reduce((count, message) => count + (message.toolCalls?.length ?? 0), 0);
  const usageRecord = {
    id: ids.next('use'),
    sessionId: request.sessionId,
    turnId,
    keyId: request.actor.keyId,
    userId: request.actor.userId,
    model: modelName,
    configVersion,
    agentId,
    ...usage,
    toolCalls,
    latencyMs,
    status: 'completed' as const,
    estimated: counted.estimated,
  };
  let stored: Message[];
  if (stores) {
    stored = await storage.completeTurn(
      request.tenantId,
      request.sessionId,
      messages,
      usageRecord,
      request.idempotency,
    );
  } else {
    await storage.recordUsage(request.tenantId, usageRecord, request.idempotency);
    stored = messages.map((message) => unstoredMessage(request.tenantId, request.sessionId, message, deps.now()));
  }
  const reply = stored.findLast((message) => message.final) as Message;
  // Committed: a writer that fails on the last event must not turn the stored turn into an error.
  try {
    emit?.({ type: 'turn-end', turnId, messages: stored, usage, latencyMs });
    await emit?.stored();
  } catch (error) {
    warnAfterTurn(deps, request, error, 'could not deliver the turn-end event', turnId);
  }
  const last = counted.steps.at(-1);
  const pendingToolCalls =
    last && hasClientCall(last, tools)
      ? last.content.flatMap((part) =>
          part.type === 'tool-call' && isClientTool(tools, part.toolName)
            ? [{ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input }]
            : [],
        )
      : [];
  return {
    turnId,
    userMessage,
    messages: stored,
    reply,
    usage,
    latencyMs,
    finishReason: pendingToolCalls.length > 0 ? 'tool-calls' : (last?.finishReason ?? 'unknown'),
    pendingToolCalls,
    stored: stores,
  };
}

/**
 * Numbers a turn's events 1, 2, 3… and appends each to the event log before handing it on.
 * `stored()` resolves once the last event so far is in the log (appends of one turn stay in order).
 */
function sequenced(
  deps: Pick<AgentDeps, 'events'>,
  tenantId: string,
  onEvent: NonNullable<TurnRequest['onEvent']>,
): Emitter {
  let seq = 0;
  let last: Promise<void> = Promise.resolve();
  const emitter = Object.assign(
    (body: TurnEventBody) => {
      seq += 1;
      emitter.started = true;
      emitter.ended = isFinalTurnEvent(body);
      const event: TurnEvent = { ...body, seq };
      if (deps.events) last = deps.events.append(tenantId, event);
      onEvent(event, last);
    },
    { started: false, ended: false, stored: () => last },
  );
  return emitter;
}

type Emitter = ((body: TurnEventBody) => void) & { started: boolean; ended: boolean; stored(): Promise<void> };

/**
 * A turn that failed after `turn-start` without saying so (a storage error while building the
 * context or storing the reply) still ends its stream, with an `error` event, so no reader waits on.
 */
function endStream(emit: Emitter | undefined, turnId: string) {
  return async (error: unknown): Promise<never> => {
    if (emit?.started && !emit.ended) {
      const failure = isAppError(error) ? error : new AppError('INTERNAL_ERROR');
      emit({ type: 'error', turnId, code: failure.code, message: failure.message });
      await emit.stored();
    }
    throw error;
  };
}

/**
 * The cancel that aborted the turn, or null: a model failure is no cancel. A cancel request and a
 * client that went away (the HTTP layer aborts with `TURN_CANCELLED`) are.
 */
function cancelOf(signal: AbortSignal | undefined): AppError | null {
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  return isAppError(reason) && reason.code === 'TURN_CANCELLED' ? reason : null;
}

/**
 * Keeps whatever the model produced before failing, so nothing acknowledged is lost: marked
 * `cancelled` after a cancel (requested, or the client went away), `failed` otherwise (a model error).
 */
async function storeFailure(
  deps: AgentDeps,
  request: TurnRequest,
  failure: {
    turnId: string;
    modelName: string;
    partial: string;
    partialReasoning: string;
    latencyMs: number;
    configVersion: number;
    agentId: string;
  },
): Promise<void> {
  const message: NewMessage = {
    ...newMessage(
      {
        ids: deps.ids,
        turnId: failure.turnId,
        model: failure.modelName,
        requestId: request.requestId,
        configVersion: failure.configVersion,
        agentId: failure.agentId,
        userId: request.actor.userId,
      },
      'assistant',
      [
        ...(failure.partialReasoning ? [{ type: 'reasoning' as const, text: failure.partialReasoning }] : []),
        ...(failure.partial ? [{ type: 'text' as const, text: failure.partial }] : []),
      ],
      null,
      null,
    ),
    status: cancelOf(request.signal) ? 'cancelled' : 'failed',
    latencyMs: failure.latencyMs,
  };
  await deps.storage.appendMessages(request.tenantId, request.sessionId, [message]);
}

/**
 * Logs why a model call failed, with the provider's answer (status, its request id, and its body cut
 * short), on every interface alike: the HTTP error handler only sees JSON turns, and the SDK's own
 * message is empty when an error body is not shaped like its vendor's. Ids and the provider's
 * answer only, never the conversation. A cancel is no failure and is not logged.
 */
function logModelFailure(
  deps: AgentDeps,
  request: TurnRequest,
  failed: { turnId: string; modelName: string; failure: AppError; error: unknown },
): void {
  if (failed.failure.code === 'TURN_CANCELLED') return;
  const response = providerResponseOf(failed.error);
  deps.log?.warn(
    {
      tenantId: request.tenantId,
      requestId: request.requestId,
      turnId: failed.turnId,
      model: failed.modelName,
      code: failed.failure.code,
      ...(response ? { providerResponse: response } : {}),
    },
    failed.failure.message,
  );
}

/** The agent's model settings, only those it sets (the provider's defaults otherwise). */
function modelSettings(config: TenantConfig): Pick<ModelSettings, 'temperature' | 'maxOutputTokens' | 'stopSequences'> {
  return {
    ...(config.temperature != null ? { temperature: config.temperature } : {}),
    ...(config.maxOutputTokens != null ? { maxOutputTokens: config.maxOutputTokens } : {}),
    ...(config.stopSequences?.length ? { stopSequences: config.stopSequences } : {}),
  };
}
