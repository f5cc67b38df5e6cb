import type { TurnEvent } from '../../core/agents/turn-event.ts';
import type { Message } from '../../core/conversations/message.ts';
import type { ItemField, ResponseResource, ResponseStreamEvent } from './open-responses-schema.ts';
import { outputItemId, type ResponseStatus, type ResponseView, toResponseResource } from './response-resource.ts';

type Event = ResponseStreamEvent;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Snapshot = Omit<ResponseView, 'status' | 'output' | 'usage' | 'error' | 'completedAt' | 'createdAt'>;

const outputText = (text: string) => ({ type: 'output_text' as const, text, annotations: [], logprobs: [] });
const reasoningText = (text: string) => ({ type: 'reasoning_text' as const, text });

export interface ResponseEncoder {
  /** The Responses events of one turn event, numbered from 0 across the whole turn. */
  encode(event: TurnEvent): Event[];
  /** The output items so far. */
  output(): ItemField[];
}

/**
 * The turn event log seen as an Open Responses stream. Pure and deterministic: the same turn events
 * give the same events with the same `sequence_number`s, so a stream resumed with `starting_after`
 * re-encodes the turn's log from its start and skips what the client has. Reasoning goes into one
 * `reasoning` item and text into one `message` item, each until something else arrives (text closes
 * the reasoning before it, reasoning the text, a client-side function call both); a call of a tool in `clientTools`
 * becomes a `function_call` item (the agent's own tools run inside the turn and are not shown).
 */
export function createResponseEncoder(snapshot: Snapshot, clientTools: ReadonlySet<string>): ResponseEncoder {
  let sequence = 0;
  let createdAt = 0;
  const output: ItemField[] = [];
  let open: { index: number; text: string } | null = null;
  let thinking: { index: number; text: string } | null = null;
  const next = (event: DistributiveOmit<Event, 'sequence_number'>): Event =>
    ({ ...event, sequence_number: sequence++ }) as Event;
  const resource = (status: ResponseStatus, extra: Partial<ResponseView> = {}): ResponseResource =>
    toResponseResource({
      ...snapshot,
      createdAt,
      status,
      output: structuredClone(output),
      usage: null,
      error: null,
      completedAt: null,
      ...extra,
    });

  function closeText(status: 'completed' | 'incomplete'): Event[] {
    if (!open) return [];
    const { index, text } = open;
    open = null;
    const item_id = outputItemId(snapshot.turnId, index);
    const item: ItemField = { type: 'message', id: item_id, status, role: 'assistant', content: [outputText(text)] };
    output[index] = item;
    const position = { item_id, output_index: index, content_index: 0 };
    return [
      next({ type: 'response.output_text.done', ...position, text, logprobs: [] }),
      next({ type: 'response.content_part.done', ...position, part: outputText(text) }),
      next({ type: 'response.output_item.done', output_index: index, item: structuredClone(item) }),
    ];
  }

  function closeReasoning(): Event[] {
    if (!thinking) return [];
    const { index, text } = thinking;
    thinking = null;
    const item_id = outputItemId(snapshot.turnId, index);
    const item: ItemField = { type: 'reasoning', id: item_id, summary: [], content: [reasoningText(text)] };
    output[index] = item;
    const position = { item_id, output_index: index, content_index: 0 };
    return [
      next({ type: 'response.reasoning_text.done', ...position, text }),
      next({ type: 'response.content_part.done', ...position, part: reasoningText(text) }),
      next({ type: 'response.output_item.done', output_index: index, item: structuredClone(item) }),
    ];
  }

  /** Closes whatever item is open (only one ever is). */
  function closeOpen(status: 'completed' | 'incomplete'): Event[] {
    return thinking ? closeReasoning() : closeText(status);
  }

  function reasoningDelta(delta: string): Event[] {
    const events = closeText('completed');
    if (!thinking) {
      thinking = { index: output.length, text: '' };
      const id = outputItemId(snapshot.turnId, thinking.index);
      const item: ItemField = { type: 'reasoning', id, summary: [], content: [] };
      output.push(item);
      events.push(
        next({ type: 'response.output_item.added', output_index: thinking.index, item: structuredClone(item) }),
        next({
          type: 'response.content_part.added',
          item_id: id,
          output_index: thinking.index,
          content_index: 0,
          part: reasoningText(''),
        }),
      );
    }
    thinking.text += delta;
    events.push(
      next({
        type: 'response.reasoning_text.delta',
        item_id: outputItemId(snapshot.turnId, thinking.index),
        output_index: thinking.index,
        content_index: 0,
        delta,
      }),
    );
    return events;
  }

  function textDelta(delta: string): Event[] {
    const events = closeReasoning();
    if (!open) {
      open = { index: output.length, text: '' };
      const id = outputItemId(snapshot.turnId, open.index);
      const item: ItemField = { type: 'message', id, status: 'in_progress', role: 'assistant', content: [] };
      output.push(item);
      events.push(
        next({ type: 'response.output_item.added', output_index: open.index, item: structuredClone(item) }),
        next({
          type: 'response.content_part.added',
          item_id: id,
          output_index: open.index,
          content_index: 0,
          part: outputText(''),
        }),
      );
    }
    open.text += delta;
    const item_id = outputItemId(snapshot.turnId, open.index);
    events.push(
      next({
        type: 'response.output_text.delta',
        item_id,
        output_index: open.index,
        content_index: 0,
        delta,
        logprobs: [],
      }),
    );
    return events;
  }

  function functionCall(callId: string, name: string, input: unknown): Event[] {
    const events = closeOpen('completed');
    const index = output.length;
    const id = outputItemId(snapshot.turnId, index);
    const args = JSON.stringify(input ?? {});
    const started: ItemField = {
      type: 'function_call',
      id,
      call_id: callId,
      name,
      arguments: '',
      status: 'in_progress',
    };
    const done: ItemField = { ...started, arguments: args, status: 'completed' };
    output.push(done);
    events.push(
      next({ type: 'response.output_item.added', output_index: index, item: started }),
      next({ type: 'response.function_call_arguments.delta', item_id: id, output_index: index, delta: args }),
      next({ type: 'response.function_call_arguments.done', item_id: id, output_index: index, arguments: args }),
      next({ type: 'response.output_item.done', output_index: index, item: structuredClone(done) }),
    );
    return events;
  }

  return {
    output: () => structuredClone(output),
    encode(event) {
      switch (event.type) {
        case 'turn-start':
          createdAt = Date.parse(event.userMessage.createdAt);
          return [
            next({ type: 'response.created', response: resource('in_progress') }),
            next({ type: 'response.in_progress', response: resource('in_progress') }),
          ];
        case 'text-delta':
          return textDelta(event.delta);
        case 'reasoning-delta':
          return reasoningDelta(event.delta);
        case 'tool-call':
          return clientTools.has(event.toolName) ? functionCall(event.toolCallId, event.toolName, event.input) : [];
        case 'tool-result':
          return [];
        case 'turn-end': {
          const events = closeOpen('completed');
          const last = event.messages.at(-1);
          const completedAt = last ? Date.parse(last.createdAt) : createdAt;
          events.push(
            next({ type: 'response.completed', response: resource('completed', { usage: event.usage, completedAt }) }),
          );
          return events;
        }
        case 'error': {
          const events = closeOpen('incomplete');
          const status = event.code === 'TURN_CANCELLED' ? 'cancelled' : 'failed';
          const error = { code: event.code, message: event.message };
          events.push(next({ type: 'response.failed', response: resource(status, { error }) }));
          return events;
        }
        default:
          return [];
      }
    },
  };
}

/**
 * The output items of a stored turn (its assistant messages), exactly as its stream built them:
 * the messages are replayed through the encoder as the events that produced them.
 */
export function outputOfMessages(
  turnId: string,
  snapshot: Snapshot,
  messages: readonly Message[],
  clientTools: ReadonlySet<string>,
): ItemField[] {
  const encoder = createResponseEncoder(snapshot, clientTools);
  let incomplete = false;
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    if (message.status !== 'completed') incomplete = true;
    for (const part of message.content) {
      if (part.type === 'text' && part.text.length > 0) {
        encoder.encode({ type: 'text-delta', turnId, delta: part.text, seq: 0 });
      } else if (part.type === 'reasoning' && part.text.length > 0) {
        encoder.encode({ type: 'reasoning-delta', turnId, delta: part.text, seq: 0 });
      } else if (part.type === 'tool-call') {
        encoder.encode({
          type: 'tool-call',
          turnId,
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: part.input,
          seq: 0,
        });
      }
    }
  }
  if (incomplete) encoder.encode({ type: 'error', turnId, code: 'INCOMPLETE', message: '', seq: 0 });
  else
    encoder.encode({
      type: 'turn-end',
      turnId,
      messages: [],
      usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      latencyMs: 0,
      seq: 0,
    });
  return encoder.output();
}
