import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../core/agents/turn-event.ts';
import type { Message } from '../../core/conversations/message.ts';
import { responseStreamEventSchema } from './open-responses-schema.ts';
import { defaultResponseSettings } from './response-request.ts';
import { createResponseEncoder, outputOfMessages } from './response-stream-encoder.ts';

const turnId = 'msg_01JTESTTURN0000000000000000';
const settings = { ...defaultResponseSettings(), tools: [{ type: 'function', name: 'get_weather' }] };
const snapshot = { turnId, settings, previousTurnId: null };
const tools = new Set(['get_weather']);

const message = (overrides: Partial<Message>): Message => ({
  id: 'msg_x',
  tenantId: 't',
  sessionId: 's',
  seq: 1,
  turnId,
  role: 'assistant',
  status: 'completed',
  content: [],
  toolCalls: null,
  final: false,
  usage: null,
  model: null,
  latencyMs: null,
  requestId: null,
  configVersion: null,
  userId: null,
  createdAt: '2026-01-01T00:00:01.000Z',
  ...overrides,
});

const user = message({ id: turnId, role: 'user', content: [{ type: 'text', text: 'hi' }] });
const stored = [
  message({ content: [{ type: 'text', text: 'Let me check. ' }] }),
  message({
    content: [{ type: 'tool-call', toolCallId: 'call_1', toolName: 'get_weather', input: { city: 'Paris' } }],
  }),
];

function turnEvents(): TurnEvent[] {
  const events = [
    { type: 'turn-start' as const, turnId, sessionId: 's', userMessage: user },
    { type: 'text-delta' as const, turnId, delta: 'Let me ' },
    { type: 'text-delta' as const, turnId, delta: 'check. ' },
    // A server-side tool: not an output item.
    { type: 'tool-call' as const, turnId, toolCallId: 'call_0', toolName: 'calculator', input: {} },
    { type: 'tool-result' as const, turnId, toolCallId: 'call_0', toolName: 'calculator', output: 1, isError: false },
    { type: 'tool-call' as const, turnId, toolCallId: 'call_1', toolName: 'get_weather', input: { city: 'Paris' } },
    {
      type: 'turn-end' as const,
      turnId,
      messages: stored,
      usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
      latencyMs: 5,
    },
  ];
  return events.map((event, index) => ({ ...event, seq: index + 1 }));
}

const encodeAll = (events: TurnEvent[]) => {
  const encoder = createResponseEncoder(snapshot, tools);
  return { events: events.flatMap((event) => encoder.encode(event)), output: encoder.output() };
};

describe('the Responses encoder of the turn event log', () => {
  it('emits the spec’s typed sequence, numbered from 0, every event valid', () => {
    const { events } = encodeAll(turnEvents());
    for (const event of events) responseStreamEventSchema.parse(event);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = events.at(-1);
    expect(completed?.type === 'response.completed' && completed.response).toMatchObject({
      id: 'resp_01JTESTTURN0000000000000000',
      status: 'completed',
      usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
      output: [
        { type: 'message', content: [{ type: 'output_text', text: 'Let me check. ' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ],
    });
  });

  it('is deterministic, so a resumed stream is the tail of the first', () => {
    const first = encodeAll(turnEvents()).events;
    const again = encodeAll(turnEvents()).events;
    expect(again).toEqual(first);
    expect(again.filter((event) => event.sequence_number > 5)).toEqual(first.slice(6));
  });

  it('builds the same output from the stored messages as from the stream', () => {
    const { output } = encodeAll(turnEvents());
    expect(outputOfMessages(turnId, snapshot, stored, tools)).toEqual(output);
  });

  it('ends a cancelled turn with response.failed, its open text item incomplete', () => {
    const events = turnEvents().slice(0, 2);
    events.push({ type: 'error', turnId, code: 'TURN_CANCELLED', message: 'The turn was cancelled', seq: 3 });
    const encoded = encodeAll(events).events;
    for (const event of encoded) responseStreamEventSchema.parse(event);
    const done = encoded.find((event) => event.type === 'response.output_item.done');
    expect(done?.type === 'response.output_item.done' && done.item).toMatchObject({ status: 'incomplete' });
    const last = encoded.at(-1);
    expect(last?.type === 'response.failed' && last.response).toMatchObject({
      status: 'cancelled',
      error: { code: 'TURN_CANCELLED' },
    });
  });
});

describe('reasoning items', () => {
  it('closes each item when the other kind arrives, and a stored turn replays to the same output', () => {
    const encoder = createResponseEncoder(snapshot, tools);
    const events = [
      { type: 'turn-start' as const, turnId, sessionId: 's', userMessage: user },
      { type: 'reasoning-delta' as const, turnId, delta: 'First I ' },
      { type: 'reasoning-delta' as const, turnId, delta: 'look.' },
      { type: 'text-delta' as const, turnId, delta: 'Checking. ' },
      { type: 'reasoning-delta' as const, turnId, delta: 'Need the tool.' },
      { type: 'tool-call' as const, turnId, toolCallId: 'call_1', toolName: 'get_weather', input: {} },
      {
        type: 'turn-end' as const,
        turnId,
        messages: [],
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
        latencyMs: 1,
      },
    ].map((event, index) => ({ ...event, seq: index + 1 }));
    const encoded = events.flatMap((event) => encoder.encode(event));
    for (const event of encoded) responseStreamEventSchema.parse(event);
    expect(encoder.output().map((item) => item.type)).toEqual(['reasoning', 'message', 'reasoning', 'function_call']);
    expect(encoder.output()[0]).toEqual({
      type: 'reasoning',
      id: `${turnId}-r0`,
      summary: [],
      content: [{ type: 'reasoning_text', text: 'First I look.' }],
    });
    const replayed = outputOfMessages(
      turnId,
      snapshot,
      [
        message({
          content: [
            { type: 'reasoning', text: 'First I look.' },
            { type: 'text', text: 'Checking. ' },
          ],
        }),
        message({
          content: [
            { type: 'reasoning', text: 'Need the tool.' },
            { type: 'tool-call', toolCallId: 'call_1', toolName: 'get_weather', input: {} },
          ],
        }),
      ],
      tools,
    );
    expect(replayed).toEqual(encoder.output());
  });
});
