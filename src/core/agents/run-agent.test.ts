import type { LanguageModelV4, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { APICallError } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedModel } from '../../providers/simulated/simulated-model.ts';
import { createStorage } from '../../storage/create-storage.ts';
import { createToolRegistry } from '../../tools/tool-registry.ts';
import { AppError } from '../errors.ts';
import { createIds } from '../ids.ts';
import type { Storage } from '../ports.ts';
import { DEFAULT_TENANT_CONFIG } from '../tenants/tenant-config.ts';
import { type AgentDeps, runAgentTurn } from './run-agent.ts';
import type { TurnEvent } from './turn-event.ts';

let storage: Storage;
beforeEach(async () => {
  ({ storage } = await createStorage({ databaseUrl: 'sqlite::memory:', sqliteSynchronous: 'NORMAL', migrate: true }));
});
afterEach(async () => {
  await storage.close();
});

function deps(model: LanguageModelV4 = createSimulatedModel()): AgentDeps {
  const tools = createToolRegistry({ now: () => new Date('2026-11-25T00:00:00Z') });
  return {
    storage,
    ids: createIds(),
    now: () => 0,
    resolveModel: () => model,
    resolveTools: (_tenant, names) => tools.select(names),
    settings: { systemPrompt: 'sys', contextBudgetTokens: 1000, maxToolSteps: 3 },
  };
}

/** A model that fails: after some streamed text when streaming, at once otherwise. */
function failingModel(): LanguageModelV4 {
  const base = createSimulatedModel();
  return {
    ...base,
    async doGenerate() {
      throw new Error('upstream exploded');
    },
    async doStream() {
      const parts: LanguageModelV4StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't' },
        { type: 'text-delta', id: 't', delta: 'partial ' },
      ];
      let index = 0;
      return {
        stream: new ReadableStream({
          // Erroring only after the parts were read: ReadableStream drops queued chunks on error.
          pull(controller) {
            const part = parts[index++];
            if (part) controller.enqueue(part);
            else controller.error(new Error('connection reset'));
          },
        }),
      };
    },
  };
}

const legacy = { id: 'ses_legacy', title: null, userId: null, metadata: {} };
const base = {
  config: { version: 0, config: DEFAULT_TENANT_CONFIG, createdBy: 'default', createdAt: '' },
  actor: { keyId: null, userId: null },
};

describe('runAgentTurn', () => {
  it('persists the user message, the reply with usage, model and latency', async () => {
    const result = await runAgentTurn(deps(), {
      ...base,
      tenantId: 't',
      sessionId: 'ses_legacy',
      text: 'hi',
      requestId: 'r1',
      createTenant: true,
      createSession: legacy,
    });
    expect(result.userMessage).toMatchObject({ seq: 1, role: 'user', id: result.turnId, turnId: result.turnId });
    expect(result.reply).toMatchObject({ seq: 2, final: true, model: 'simulated:simulated-1', requestId: 'r1' });
    expect(result.usage.totalTokens).toBe(result.reply.usage?.totalTokens);
  });

  it('emits turn-start, tool-call, tool-result, text-delta… and turn-end in order when streaming', async () => {
    const events: TurnEvent[] = [];
    await runAgentTurn(deps(), {
      ...base,
      tenantId: 't',
      sessionId: 'ses_legacy',
      text: 'current_time?',
      requestId: null,
      createTenant: true,
      createSession: legacy,
      onEvent: (event) => events.push(event),
    });
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('turn-start');
    expect(types.indexOf('tool-call')).toBeLessThan(types.indexOf('tool-result'));
    expect(types.indexOf('tool-result')).toBeLessThan(types.indexOf('text-delta'));
    expect(types.at(-1)).toBe('turn-end');
  });

  it.each([
    ['generate', false],
    ['stream', true],
  ])(
    'on a model failure (%s) keeps the user message, stores partial output as failed, and throws PROVIDER_ERROR',
    async (_mode, streaming) => {
      const events: TurnEvent[] = [];
      await expect(
        runAgentTurn(deps(failingModel()), {
          ...base,
          tenantId: 't',
          sessionId: 'ses_legacy',
          text: 'hi',
          requestId: null,
          createTenant: true,
          createSession: legacy,
          ...(streaming ? { onEvent: (event: TurnEvent) => events.push(event) } : {}),
        }),
      ).rejects.toMatchObject({ code: 'PROVIDER_ERROR', status: 502 });
      const stored = await storage.listMessages('t', 'ses_legacy', { limit: 10, cursorSeq: null, order: 'asc' });
      expect(stored.map((message) => [message.role, message.status, message.final])).toEqual([
        ['user', 'completed', false],
        ['assistant', 'failed', false],
      ]);
      if (streaming) {
        expect(stored[1]?.content).toEqual([{ type: 'text', text: 'partial ' }]);
        expect(events.at(-1)).toMatchObject({ type: 'error', code: 'PROVIDER_ERROR' });
      }
      expect(await storage.listInteractions('t', 'ses_legacy', { limit: 10, beforeSeq: null })).toEqual([]);
    },
  );

  it('logs a refused call with the provider’s status, request id and body (cut), and the turn’s ids', async () => {
    const body = `{"status":"failure","message":"x-portkey-provider header is required"}${' '.repeat(5_000)}`;
    const refusal = new APICallError({
      message: '',
      url: 'http://127.0.0.1:1/v1/chat/completions',
      requestBodyValues: { messages: [{ role: 'user', content: 'secret words' }] },
      statusCode: 400,
      responseHeaders: { 'x-request-id': 'gw-123' },
      responseBody: body,
    });
    const warnings: { details: Record<string, unknown>; message: string }[] = [];
    const model = {
      ...createSimulatedModel(),
      async doGenerate(): Promise<never> {
        // As the provider guard throws it: the mapped error, the SDK's as cause.
        throw new AppError('PROVIDER_REJECTED', 'Provider portkey refused the request (HTTP 400)', { cause: refusal });
      },
    };
    await expect(
      runAgentTurn(
        { ...deps(model), log: { warn: (details, message) => warnings.push({ details, message }) } },
        {
          ...base,
          tenantId: 't',
          sessionId: 'ses_legacy',
          text: 'secret words',
          requestId: 'req-9',
          createTenant: true,
          createSession: legacy,
        },
      ),
    ).rejects.toMatchObject({ code: 'PROVIDER_REJECTED' });
    expect(warnings).toHaveLength(1);
    const warning = warnings[0] as (typeof warnings)[number];
    expect(warning.message).toBe('Provider portkey refused the request (HTTP 400)');
    expect(warning.details).toMatchObject({
      tenantId: 't',
      requestId: 'req-9',
      code: 'PROVIDER_REJECTED',
      providerResponse: { status: 400, providerRequestId: 'gw-123' },
    });
    const logged = (warning.details.providerResponse as { body: string }).body;
    expect(logged.startsWith('{"status":"failure","message":"x-portkey-provider header is required"}')).toBe(true);
    expect(logged.length).toBe(1_000);
    expect(JSON.stringify(warning)).not.toContain('secret words');
  });
});
