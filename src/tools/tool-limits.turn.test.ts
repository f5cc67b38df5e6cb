import { jsonSchema, tool } from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgentTurn } from '../core/agents/run-agent.ts';
import type { TurnEvent } from '../core/agents/turn-event.ts';
import { createIds } from '../core/ids.ts';
import type { Storage } from '../core/ports.ts';
import { DEFAULT_TENANT_CONFIG } from '../core/tenants/tenant-config.ts';
import { createSimulatedModel } from '../providers/simulated/simulated-model.ts';
import { createStorage } from '../storage/create-storage.ts';
import { createToolRegistry } from './tool-registry.ts';

// The whole turn pipeline on a real SQLite database with a registry holding two misbehaving
// tools: one that never answers, one that answers far too much. (The HTTP test app cannot be
// given extra tools, so this is where the registry's limits meet the real tool loop.)
let storage: Storage;
beforeEach(async () => {
  ({ storage } = await createStorage({ databaseUrl: 'sqlite::memory:', sqliteSynchronous: 'NORMAL', migrate: true }));
});
afterEach(async () => {
  await storage.close();
});

const NO_INPUT = jsonSchema<Record<string, never>>({ type: 'object', properties: {}, additionalProperties: false });
const registry = createToolRegistry({
  timeoutMs: 30,
  outputMaxChars: 300,
  tools: {
    stuck_lookup: tool({ inputSchema: NO_INPUT, execute: () => new Promise<string>(() => {}) }),
    chatty_lookup: tool({ inputSchema: NO_INPUT, execute: async () => 'z'.repeat(50_000) }),
  },
});

function turn(text: string, onEvent?: (event: TurnEvent) => void) {
  const model = createSimulatedModel();
  return runAgentTurn(
    {
      storage,
      ids: createIds(),
      now: () => 0,
      resolveModel: () => Object.assign(model, { provider: 'simulated', modelId: 'simulated-1' }),
      resolveTools: (_tenantId, names) => registry.select(names),
      settings: { systemPrompt: 'sys', contextBudgetTokens: 1000, maxToolSteps: 5 },
    },
    {
      tenantId: 'tools',
      sessionId: 'ses_legacy',
      text,
      requestId: null,
      config: {
        version: 0,
        config: { ...DEFAULT_TENANT_CONFIG, tools: ['stuck_lookup', 'chatty_lookup'] },
        createdBy: 'default',
        createdAt: '',
      },
      actor: { keyId: null, userId: null },
      createTenant: true,
      createSession: { id: 'ses_legacy', title: null, userId: null, metadata: {} },
      ...(onEvent ? { onEvent } : {}),
    },
  );
}

describe('tool limits in a real turn', () => {
  it('a tool that never answers ends as a stored tool error, and the turn completes', async () => {
    const result = await turn('please run stuck_lookup');
    expect(result.messages.map((message) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
    const [call, toolMessage, reply] = result.messages;
    expect(call?.toolCalls).toEqual([expect.objectContaining({ toolName: 'stuck_lookup' })]);
    expect(toolMessage?.content).toEqual([
      {
        type: 'tool-result',
        toolCallId: call?.toolCalls?.[0]?.toolCallId,
        toolName: 'stuck_lookup',
        output: "Tool 'stuck_lookup' did not finish within 30 ms",
        isError: true,
      },
    ]);
    expect(reply).toMatchObject({ final: true, status: 'completed' });
    expect(reply?.content).toEqual([
      {
        type: 'text',
        text: "Agent response to 'please run stuck_lookup' with context:  (stuck_lookup returned ToolTimeoutError: Tool 'stuck_lookup' did not finish within 30 ms)",
      },
    ]);

    const stored = await storage.listMessages('tools', 'ses_legacy', { limit: 10, cursorSeq: null, order: 'asc' });
    expect(stored.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    const [usage] = await storage.listUsage('tools', {
      limit: 10,
      beforeId: null,
      from: '2000-01-01',
      to: '2999-12-31',
    });
    expect(usage).toMatchObject({ turnId: result.turnId, toolCalls: 1, status: 'completed' });
    expect(usage?.totalTokens).toBe(result.usage.totalTokens);
  });

  it('streams the timeout as a tool-result error event, then turn-end', async () => {
    const events: TurnEvent[] = [];
    await turn('stuck_lookup again', (event) => events.push(event));
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['turn-start', 'tool-call', 'tool-result', 'turn-end']),
    );
    // The same text the stored tool message carries.
    expect(events.find((event) => event.type === 'tool-result')).toMatchObject({
      toolName: 'stuck_lookup',
      isError: true,
      output: "Tool 'stuck_lookup' did not finish within 30 ms",
    });
    expect(events.at(-1)?.type).toBe('turn-end');
  });

  it('cuts an oversized tool output before it is stored or shown to the model', async () => {
    const result = await turn('chatty_lookup please');
    const toolMessage = result.messages.find((message) => message.role === 'tool');
    const part = toolMessage?.content[0];
    expect(part).toMatchObject({ type: 'tool-result', toolName: 'chatty_lookup' });
    const output = (part as { output: string }).output;
    expect(output.length).toBeLessThanOrEqual(300);
    expect(output).toMatch(/^z+… \[output truncated: \d+ of 50000 characters shown\]$/);
    expect(JSON.stringify(result.reply.content)).toContain('[output truncated:');
  });
});
