import { useLocation, useRoute } from 'preact-iso';
import { api, enc, type Page } from '../api.ts';
import { ConfirmButton, ErrorBox, formatDate, Loading, NotFound, PageHeader } from '../components.tsx';
import { useMutation, useQuery } from '../query.ts';
import { type Message, messagesToTurns, TurnView } from '../transcript.tsx';
import type { Session } from './sessions.tsx';

async function allMessages(id: string, signal: AbortSignal): Promise<Message[]> {
  const messages: Message[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Message> = await api<Page<Message>>(
      `/v1/sessions/${enc(id)}/messages?limit=200&order=asc${cursor ? `&cursor=${enc(cursor)}` : ''}`,
      { signal },
    );
    messages.push(...page.data);
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
  return messages;
}

export function SessionDetailPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? '';
  const session = useQuery(`session:${id}`, (signal) => api<Session>(`/v1/sessions/${enc(id)}`, { signal }));
  const messages = useQuery(session.data ? `messages:${id}` : null, (signal) => allMessages(id, signal));
  const remove = useMutation(async () => {
    await api(`/v1/sessions/${enc(id)}`, { method: 'DELETE' });
    return true;
  });

  if (session.error?.status === 404) return <NotFound what={`Session ${id}`} />;
  if (!session.data) return session.error ? <ErrorBox error={session.error} /> : <Loading />;

  const exportJson = () => {
    const blob = new Blob([JSON.stringify({ session: session.data, messages: messages.data ?? [] }, null, 2)], {
      type: 'application/json',
    });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = `${id}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <>
      <PageHeader title={session.data.title || `Session ${id}`}>
        <a class="button" href={`/console/playground?agent=${enc(session.data.agent_id)}&session=${enc(id)}`}>
          Continue in playground
        </a>
        <button type="button" onClick={exportJson} disabled={!messages.data}>
          Export JSON
        </button>
        <ConfirmButton
          label="Delete session"
          question={`Delete session ${id} and all its messages?`}
          onConfirm={async () => {
            if (await remove.run()) route('/console/sessions');
          }}
        />
      </PageHeader>
      <ErrorBox error={remove.error} />
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{id}</code>
        </dd>
        <dt>Agent</dt>
        <dd>
          <a href={`/console/agents/${enc(session.data.agent_id)}`}>{session.data.agent_id}</a>
        </dd>
        <dt>User</dt>
        <dd>{session.data.user_id ?? '—'}</dd>
        <dt>Created</dt>
        <dd>{formatDate(session.data.created_at)}</dd>
      </dl>
      <h2>History</h2>
      <ErrorBox error={messages.error} />
      {messages.loading && <Loading />}
      {messages.data && messages.data.length === 0 && <p class="empty">No messages in this session.</p>}
      <ol class="transcript" aria-label="History">
        {messagesToTurns(messages.data ?? []).map((turn) => (
          <TurnView key={turn.id} turn={turn} />
        ))}
      </ol>
    </>
  );
}
