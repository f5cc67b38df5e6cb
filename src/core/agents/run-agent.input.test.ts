import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedModel } from '../../providers/simulated/simulated-model.ts';
import { createStorage } from '../../storage/create-storage.ts';
import { createToolRegistry } from '../../tools/tool-registry.ts';
import { createIds } from '../ids.ts';
import type { Storage } from '../ports.ts';
import { DEFAULT_TENANT_CONFIG } from '../tenants/tenant-config.ts';
import { type AgentDeps, runAgentTurn } from './run-agent.ts';

let storage: Storage;
beforeEach(async () => {
  ({ storage } = await createStorage({ databaseUrl: 'sqlite::memory:', sqliteSynchronous: 'NORMAL', migrate: true }));
});
afterEach(async () => {
  await storage.close();
});

const finish = (reason: 'stop' | 'tool-calls'): LanguageModelV4StreamPart => ({
  type: 'finish',
  finishReason: { unified: reason, raw: reason },
  usage: {
    inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: 4, text: 4, reasoning: undefined },
  },
});

/** A model that answers each call with the next parts, and records what each call was sent. */
function scriptedModel(
  steps: LanguageModelV4StreamPart[][],
): LanguageModelV4 & { calls: LanguageModelV4CallOptions[] } {
  const calls: LanguageModelV4CallOptions[] = [];
  return {
    ...createSimulatedModel(),
    calls,
    async doStream(options: LanguageModelV4CallOptions) {
      calls.push(options);
      const parts = steps.shift() ?? [];
      return {
        stream: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}

function deps(model: LanguageModelV4): AgentDeps {
  const tools = createToolRegistry({ now: () => new Date('2026-11-25T00:00:00Z') });
  return {
    storage,
    ids: createIds(),
    now: () => 0,
    resolveModel: () => model,
    resolveTools: (_tenant, names) => tools.select(names),
    settings: { systemPrompt: 'Agent prompt', contextBudgetTokens: 4000, maxToolSteps: 3 },
  };
}

const config = {
  version: 0,
  config: { ...DEFAULT_TENANT_CONFIG, tools: ['current_time'] },
  createdBy: 'x',
  createdAt: '',
};
const base = { config, actor: { keyId: null, userId: 'u1' }, requestId: null, tenantId: 't1' };

describe('turns with caller-sent messages', () => {
  it('after the session history, runs server tools in the loop and returns client tool calls, ending the turn', async () => {
    const model = scriptedModel([
      [{ type: 'text-start', id: 'a' }, { type: 'text-delta', id: 'a', delta: 'Earlier reply' }, finish('stop')],
      [
        { type: 'tool-call', toolCallId: 'c1', toolName: 'current_time', input: '{}' },
        { type: 'tool-call', toolCallId: 'c2', toolName: 'lookup', input: '{"q":"x"}' },
        finish('tool-calls'),
      ],
    ]);
    const session = { id: 'ses_1', title: null, userId: null, metadata: {} };
    await runAgentTurn(deps(model), {
      ...base,
      sessionId: 'ses_1',
      text: 'first',
      createTenant: true,
      createSession: session,
      // Streamed, so that it runs the scripted model's first answer.
      onEvent: () => {},
    });

    const result = await runAgentTurn(deps(model), {
      ...base,
      sessionId: 'ses_1',
      text: 'shown in the console',
      input: {
        history: 'session',
        agentPrompt: true,
        store: null,
        messages: [{ role: 'user', content: 'structured input' }],
      },
      clientTools: [{ name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }],
      callSettings: { temperature: 0.1, seed: 5, toolChoice: 'auto' },
    });
    expect(result.finishReason).toBe('tool-calls');
    expect(result.pendingToolCalls).toEqual([{ toolCallId: 'c2', toolName: 'lookup', input: { q: 'x' } }]);
    expect(result.stored).toBe(true);
    // The server tool ran; the client one did not.
    const toolMessage = result.messages.find((message) => message.role === 'tool');
    expect(toolMessage?.content).toEqual([expect.objectContaining({ type: 'tool-result', toolName: 'current_time' })]);
    expect(model.calls).toHaveLength(2);
    const sent = model.calls[1];
    expect(sent).toMatchObject({ temperature: 0.1, seed: 5, toolChoice: { type: 'auto' } });
    expect(sent?.tools?.map((entry) => entry.name).sort()).toEqual(['current_time', 'lookup']);
    const prompt = JSON.stringify(sent?.prompt);
    expect(prompt).toContain('Agent prompt');
    expect(prompt).toContain('Earlier reply');
    expect(prompt).toContain('structured input');
    expect(prompt).not.toContain('shown in the console');
    // The stored user message is the text given for display.
    const stored = await storage.getTurn('t1', result.turnId);
    expect(stored[0]?.content).toEqual([{ type: 'text', text: 'shown in the console' }]);
  });

  it('stateless without store: no agent prompt for a gateway call, nothing stored but the usage record', async () => {
    const model = scriptedModel([
      [{ type: 'text-start', id: 'a' }, { type: 'text-delta', id: 'a', delta: '{"ok":true}' }, finish('stop')],
    ]);
    await storage.createSession('t1', { id: 'ses_x', title: null, userId: null, metadata: {} }, { createTenant: true });
    const result = await runAgentTurn(deps(model), {
      ...base,
      sessionId: 'ses_stateless',
      text: 'hi',
      input: {
        history: 'none',
        agentPrompt: false,
        store: null,
        messages: [
          { role: 'system', content: 'Caller system' },
          { role: 'user', content: 'hi' },
        ],
      },
      callSettings: { responseFormat: { type: 'json', schema: { type: 'object' }, name: 'out' } },
    });
    expect(result).toMatchObject({ stored: false, finishReason: 'stop', pendingToolCalls: [] });
    expect(result.reply.content).toEqual([{ type: 'text', text: '{"ok":true}' }]);
    expect(model.calls[0]?.prompt).toEqual([
      { role: 'system', content: 'Caller system' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    ]);
    expect(model.calls[0]?.responseFormat).toEqual({ type: 'json', schema: { type: 'object' }, name: 'out' });
    // No server tools for a gateway call.
    expect(model.calls[0]?.tools).toBeUndefined();
    expect(await storage.getTurn('t1', result.turnId)).toEqual([]);
    const usage = await storage.listUsage('t1', { limit: 10, beforeId: null, from: '2000-01-01', to: '2999-12-31' });
    expect(usage).toEqual([
      expect.objectContaining({
        turnId: result.turnId,
        sessionId: 'ses_stateless',
        userId: 'u1',
        inputTokens: 10,
        outputTokens: 4,
      }),
    ]);
  });
});
