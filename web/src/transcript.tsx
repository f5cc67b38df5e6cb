import { formatNumber } from './components.tsx';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

export interface ContentPart {
  type: string;
  text?: string;
  toolCallId?: string;
  toolName?: string;
  input?: unknown;
  output?: unknown;
  isError?: boolean;
}

export interface Message {
  id: string;
  seq: number;
  turn_id: string | null;
  role: 'user' | 'assistant' | 'tool' | 'system';
  status: string;
  content: ContentPart[];
  usage: Usage | null;
  model: string | null;
  latency_ms: number | null;
  agent_id: string | null;
  agent_version: number | null;
  created_at: string;
}

export type TurnItem =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; id: string; name: string; input: unknown; output?: unknown; isError?: boolean; done: boolean };

export interface Turn {
  id: string;
  userText: string;
  items: TurnItem[];
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  usage: Usage | null;
  latencyMs: number | null;
  error: { code: string; message: string } | null;
  lastSeq: number;
}

export function newTurn(id: string, userText: string): Turn {
  return { id, userText, items: [], status: 'running', usage: null, latencyMs: null, error: null, lastSeq: 0 };
}

const textOf = (parts: ContentPart[]) =>
  parts
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('');

function addUsage(a: Usage | null, b: Usage | null): Usage | null {
  if (!b) return a;
  if (!a) return { ...b };
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** Groups stored messages (in seq order) into turns. */
export function messagesToTurns(messages: Message[]): Turn[] {
  const turns: Turn[] = [];
  const byId = new Map<string, Turn>();
  for (const message of messages) {
    const turnId = message.turn_id ?? message.id;
    let turn = byId.get(turnId);
    if (!turn) {
      turn = newTurn(turnId, '');
      turn.status = 'completed';
      byId.set(turnId, turn);
      turns.push(turn);
    }
    if (message.role === 'user') {
      turn.userText = textOf(message.content);
      continue;
    }
    if (message.status === 'failed') turn.status = 'failed';
    if (message.status === 'cancelled') turn.status = 'cancelled';
    turn.usage = addUsage(turn.usage, message.usage);
    if (message.latency_ms !== null && message.role === 'assistant') turn.latencyMs = message.latency_ms;
    for (const part of message.content) {
      if (part.type === 'text' && part.text) turn.items.push({ kind: 'text', text: part.text });
      else if (part.type === 'tool-call')
        turn.items.push({
          kind: 'tool',
          id: part.toolCallId ?? '',
          name: part.toolName ?? '',
          input: part.input,
          done: false,
        });
      else if (part.type === 'tool-result') {
        const call = turn.items.find((item) => item.kind === 'tool' && item.id === part.toolCallId);
        if (call && call.kind === 'tool')
          Object.assign(call, { output: part.output, isError: part.isError === true, done: true });
        else
          turn.items.push({
            kind: 'tool',
            id: part.toolCallId ?? '',
            name: part.toolName ?? '',
            input: undefined,
            output: part.output,
            isError: part.isError === true,
            done: true,
          });
      }
    }
  }
  return turns;
}

/** Applies one SSE turn event to a turn (returns a new object). */
export function applyEvent(turn: Turn, event: string, data: Record<string, unknown>): Turn {
  const next: Turn = { ...turn, items: [...turn.items] };
  if (typeof data.seq === 'number') next.lastSeq = data.seq;
  switch (event) {
    case 'turn-start': {
      const user = data.user_message as Message | undefined;
      if (user) next.userText = textOf(user.content);
      next.id = String(data.turn_id ?? next.id);
      break;
    }
    case 'text-delta': {
      const last = next.items.at(-1);
      const delta = String(data.delta ?? '');
      if (last && last.kind === 'text') next.items[next.items.length - 1] = { kind: 'text', text: last.text + delta };
      else next.items.push({ kind: 'text', text: delta });
      break;
    }
    case 'tool-call':
      next.items.push({
        kind: 'tool',
        id: String(data.tool_call_id),
        name: String(data.tool_name),
        input: data.input,
        done: false,
      });
      break;
    case 'tool-result': {
      const index = next.items.findIndex((item) => item.kind === 'tool' && item.id === data.tool_call_id);
      const result = { output: data.output, isError: data.is_error === true, done: true };
      const call = next.items[index];
      if (index >= 0 && call) next.items[index] = { ...call, ...result } as TurnItem;
      else
        next.items.push({
          kind: 'tool',
          id: String(data.tool_call_id),
          name: String(data.tool_name),
          input: undefined,
          ...result,
        });
      break;
    }
    case 'turn-end':
      next.status = 'completed';
      next.usage = (data.usage as Usage | null) ?? null;
      next.latencyMs = typeof data.latency_ms === 'number' ? data.latency_ms : null;
      break;
    case 'turn-error':
    case 'error':
      next.status = data.code === 'TURN_CANCELLED' ? 'cancelled' : 'failed';
      next.error = { code: String(data.code ?? 'ERROR'), message: String(data.message ?? '') };
      break;
  }
  return next;
}

function json(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function TurnView({ turn }: { turn: Turn }) {
  return (
    <li class="turn" data-turn={turn.id} data-status={turn.status}>
      <div class="bubble user">
        <span class="visually-hidden">You: </span>
        {turn.userText}
      </div>
      {turn.items.map((item, index) =>
        item.kind === 'text' ? (
          <div key={index} class="bubble assistant">
            <span class="visually-hidden">Agent: </span>
            {item.text}
          </div>
        ) : (
          <div key={item.id} class={`tool${item.isError ? ' tool-error' : ''}`}>
            <div>
              <span class="tag">tool call</span> <code>{item.name}</code> <code class="args">{json(item.input)}</code>
            </div>
            <div>
              {item.done ? (
                <>
                  <span class="tag">{item.isError ? 'tool error' : 'result'}</span>{' '}
                  <code class="result">{json(item.output)}</code>
                </>
              ) : (
                <span class="muted">running…</span>
              )}
            </div>
          </div>
        ),
      )}
      <div class="turn-meta">
        {turn.status === 'running' && <span class="muted">Streaming…</span>}
        {turn.error && (
          <span class="error-inline">
            {turn.error.message} <code>{turn.error.code}</code>
          </span>
        )}
        {turn.usage && (
          <span class="stats">
            {formatNumber(turn.usage.input_tokens)} in · {formatNumber(turn.usage.output_tokens)} out ·{' '}
            {formatNumber(turn.usage.total_tokens)} tokens
          </span>
        )}
        {turn.latencyMs !== null && <span class="stats">{formatNumber(turn.latencyMs)} ms</span>}
      </div>
    </li>
  );
}
