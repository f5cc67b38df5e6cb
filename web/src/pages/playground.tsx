import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, api, enc, type Page } from '../api.ts';
import { ErrorBox, Loading, PageHeader } from '../components.tsx';
import { useQuery } from '../query.ts';
import { streamEvents } from '../sse.ts';
import { applyEvent, type Message, messagesToTurns, newTurn, type Turn, TurnView } from '../transcript.tsx';

export interface Agent {
  id: string;
  name: string;
  description: string | null;
  version: number;
  config: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** The running turn, kept in this tab only so that a reload can resume its event stream. */
const RUNNING_KEY = 'enclave.console.running-turn';

interface RunningTurn {
  turn_id: string;
  session_id: string;
  agent_id: string;
}

function readRunning(): RunningTurn | null {
  try {
    const text = sessionStorage.getItem(RUNNING_KEY);
    return text ? (JSON.parse(text) as RunningTurn) : null;
  } catch {
    return null;
  }
}

const writeRunning = (running: RunningTurn | null) =>
  running ? sessionStorage.setItem(RUNNING_KEY, JSON.stringify(running)) : sessionStorage.removeItem(RUNNING_KEY);

function toError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError({ status: 0, code: 'NETWORK_ERROR', message: String(error) });
}

export function PlaygroundPage() {
  const { query, route } = useLocation();
  const resumable = useRef(readRunning());
  const agentId = query.agent ?? resumable.current?.agent_id ?? 'default';
  const sessionId = query.session ?? resumable.current?.session_id ?? null;
  const agents = useQuery('agents', (signal) => api<Page<Agent>>('/v1/agents?limit=100', { signal }));
  const [turns, setTurns] = useState<Turn[]>([]);
  const [live, setLive] = useState<Turn | null>(null);
  const [input, setInput] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [historyLoading, setHistoryLoading] = useState(false);
  const liveRef = useRef<Turn | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);

  const update = useCallback((turn: Turn | null) => {
    liveRef.current = turn;
    setLive(turn);
  }, []);

  const follow = useCallback(
    async (path: string, init: Parameters<typeof streamEvents>[1], seed: Turn, meta: { agent_id: string }) => {
      update(seed);
      let sessionOfTurn = '';
      const status = await streamEvents(path, init, (event) => {
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(event.data) as Record<string, unknown>;
        } catch {
          return;
        }
        if (event.event === 'turn-start') {
          sessionOfTurn = String(data.session_id ?? '');
          writeRunning({ turn_id: String(data.turn_id), session_id: sessionOfTurn, agent_id: meta.agent_id });
        }
        const current = liveRef.current ?? seed;
        update(applyEvent(current, event.event, data));
      });
      writeRunning(null);
      const finished = liveRef.current;
      if (status === 204 || !finished) return null;
      if (finished.status === 'running') {
        finished.status = 'failed';
        finished.error = { code: 'STREAM_ENDED', message: 'The stream ended before the turn did' };
      }
      return finished;
    },
    [update],
  );

  // Load the session's history; resume a turn that was running when the page was reloaded.
  useEffect(() => {
    if (!sessionId) {
      setTurns([]);
      return;
    }
    const controller = new AbortController();
    const running = resumable.current && resumable.current.session_id === sessionId ? resumable.current : null;
    resumable.current = null;
    setHistoryLoading(true);
    (async () => {
      try {
        const page = await api<Page<Message>>(`/v1/sessions/${enc(sessionId)}/messages?limit=200&order=asc`, {
          signal: controller.signal,
        });
        const history = messagesToTurns(page.data).filter((turn) => turn.id !== running?.turn_id);
        setTurns(history);
        setHistoryLoading(false);
        if (running) {
          const finished = await follow(
            `/v1/turns/${enc(running.turn_id)}/events`,
            { signal: controller.signal },
            newTurn(running.turn_id, ''),
            running,
          );
          if (finished) setTurns((all) => [...all, finished]);
          else {
            const again = await api<Page<Message>>(`/v1/sessions/${enc(sessionId)}/messages?limit=200&order=asc`);
            setTurns(messagesToTurns(again.data));
          }
          update(null);
        }
      } catch (failure) {
        if (controller.signal.aborted) return;
        writeRunning(null);
        update(null);
        setHistoryLoading(false);
        setError(toError(failure));
      }
    })();
    return () => controller.abort();
  }, [sessionId, follow, update]);

  const send = async () => {
    const content = input.trim();
    if (!content || liveRef.current) return;
    setError(null);
    setInput('');
    try {
      let session = sessionId;
      if (!session) {
        const created = await api<{ id: string }>('/v1/sessions', {
          method: 'POST',
          body: { agent_id: agentId, title: content.slice(0, 60) },
        });
        session = created.id;
        // The effect would load an empty history; set the URL without re-running it mid-turn.
        resumable.current = null;
        history.replaceState(null, '', `/console/playground?agent=${enc(agentId)}&session=${enc(session)}`);
      }
      const finished = await follow(
        `/v1/sessions/${enc(session)}/messages`,
        { method: 'POST', body: { content }, headers: { 'idempotency-key': crypto.randomUUID() } },
        newTurn('pending', content),
        { agent_id: agentId },
      );
      if (finished) setTurns((all) => [...all, finished]);
      update(null);
      if (!sessionId) route(`/console/playground?agent=${enc(agentId)}&session=${enc(session)}`, true);
    } catch (failure) {
      writeRunning(null);
      update(null);
      setInput(content);
      setError(toError(failure));
    }
    textarea.current?.focus();
  };

  const cancel = async () => {
    const turn = liveRef.current;
    if (!turn || turn.id === 'pending') return;
    try {
      await api(`/v1/turns/${enc(turn.id)}/cancel`, { method: 'POST' });
    } catch (failure) {
      setError(toError(failure));
    }
  };

  const agentList = agents.data?.data ?? [];
  return (
    <>
      <PageHeader title="Playground">
        <label for="agent-pick">Agent</label>
        <select
          id="agent-pick"
          value={agentId}
          disabled={live !== null}
          onChange={(event) => route(`/console/playground?agent=${enc(event.currentTarget.value)}`)}
        >
          {agentList.length === 0 && <option value={agentId}>{agentId}</option>}
          {agentList.map((agent) => (
            <option key={agent.id} value={agent.id}>
              {agent.name || agent.id} (v{agent.version})
            </option>
          ))}
        </select>
        <a class="button" href={`/console/playground?agent=${enc(agentId)}`}>
          New session
        </a>
      </PageHeader>
      <ErrorBox error={agents.error} />
      {sessionId && (
        <p class="muted">
          Session <a href={`/console/sessions/${enc(sessionId)}`}>{sessionId}</a>
        </p>
      )}
      {historyLoading && <Loading label="Loading the session…" />}
      <ol class="transcript" aria-label="Conversation">
        {turns.map((turn) => (
          <TurnView key={turn.id} turn={turn} />
        ))}
        {live && <TurnView turn={live} />}
      </ol>
      {!historyLoading && turns.length === 0 && !live && (
        <p class="empty">Send a message to start a conversation with this agent.</p>
      )}
      <ErrorBox error={error} />
      <form
        class="composer"
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <label for="message" class="visually-hidden">
          Message
        </label>
        <textarea
          id="message"
          ref={textarea}
          rows={3}
          placeholder="Message (Enter to send, Shift+Enter for a new line)"
          value={input}
          onInput={(event) => setInput(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) {
              event.preventDefault();
              void send();
            }
          }}
        />
        <div class="actions">
          {live ? (
            <button type="button" class="danger" onClick={cancel}>
              Cancel
            </button>
          ) : (
            <button type="submit" class="primary">
              Send
            </button>
          )}
        </div>
      </form>
    </>
  );
}
