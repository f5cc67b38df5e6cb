import { tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ESTIMATE_COUNTER } from '../context/token-counter.ts';
import { isClientTool } from './step-loop.ts';
import { callModelSettings, clientToolSet } from './turn-input.ts';
import { inputContext } from './turn-input-context.ts';

describe('clientToolSet', () => {
  const server = { current_time: tool({ inputSchema: z.object({}), execute: async () => 'now' }) };

  it('offers client tools without execute, beside the server’s', () => {
    const tools = { ...server, ...clientToolSet([{ name: 'lookup', parameters: { type: 'object' } }], server) };
    expect(isClientTool(tools, 'lookup')).toBe(true);
    expect(isClientTool(tools, 'current_time')).toBe(false);
    expect(isClientTool(tools, 'missing')).toBe(false);
  });

  it('refuses a name a server tool uses, or one given twice', () => {
    expect(() => clientToolSet([{ name: 'current_time', parameters: {} }], server)).toThrow(/taken/);
    expect(() =>
      clientToolSet(
        [
          { name: 'a', parameters: {} },
          { name: 'a', parameters: {} },
        ],
        {},
      ),
    ).toThrow(/taken/);
  });
});

describe('callModelSettings', () => {
  const agent = { temperature: 0.5, maxOutputTokens: 100, stopSequences: ['X'] };

  it('keeps the agent’s settings when the caller sends none', () => {
    expect(callModelSettings(agent, undefined)).toEqual(agent);
    expect(callModelSettings(agent, {})).toEqual(agent);
  });

  it('puts the caller’s over them, with the response format and tool choice in the model call’s terms', () => {
    expect(
      callModelSettings(agent, {
        temperature: 0,
        topP: 0.9,
        seed: 3,
        maxOutputTokens: 10,
        stopSequences: ['Y'],
        responseFormat: { type: 'json', name: 'w', schema: { type: 'object' }, strict: true },
        toolChoice: { toolName: 'lookup' },
      }),
    ).toEqual({
      temperature: 0,
      topP: 0.9,
      seed: 3,
      maxOutputTokens: 10,
      stopSequences: ['Y'],
      responseFormat: { type: 'json', name: 'w', schema: { type: 'object' } },
      providerOptions: { openai: { strictJsonSchema: true } },
      toolChoice: { type: 'tool', toolName: 'lookup' },
    });
    expect(callModelSettings({}, { toolChoice: 'required', responseFormat: { type: 'json' } })).toEqual({
      toolChoice: { type: 'required' },
      responseFormat: { type: 'json' },
    });
  });
});

describe('inputContext', () => {
  const messages = [{ role: 'user' as const, content: 'Hello there' }];

  it('puts the system prompt before the caller’s messages, and counts both', () => {
    const context = inputContext(null, ESTIMATE_COUNTER, 'Be kind.', messages);
    expect(context.instructions).toEqual([{ role: 'system', content: 'Be kind.' }]);
    expect(context.messages).toEqual(messages);
    const gateway = inputContext(null, ESTIMATE_COUNTER, null, messages);
    expect(gateway.instructions).toEqual([]);
    expect(context.tokens).toBeGreaterThan(gateway.tokens);
    expect(gateway.tokens).toBeGreaterThan(ESTIMATE_COUNTER.count('Hello there'));
  });

  it('after a session’s history, replaces the stored current message with the caller’s messages', () => {
    const stored = {
      instructions: [{ role: 'system' as const, content: 'Agent' }],
      messages: [
        { role: 'user' as const, content: 'earlier' },
        { role: 'assistant' as const, content: 'reply' },
        { role: 'user' as const, content: 'current, stored for display' },
      ],
      tokens: 100,
      summary: null,
      summarised: false,
      counter: ESTIMATE_COUNTER,
    };
    const context = inputContext(stored, ESTIMATE_COUNTER, 'ignored', messages);
    expect(context.instructions).toBe(stored.instructions);
    expect(context.messages).toEqual([stored.messages[0], stored.messages[1], messages[0]]);
  });
});
