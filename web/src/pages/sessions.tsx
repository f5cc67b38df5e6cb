import { useState } from 'preact/hooks';
import { api, enc, type Page } from '../api.ts';
import { Empty, ErrorBox, formatDate, Loading, MoreButton, PageHeader, TableWrap } from '../components.tsx';
import { usePaged } from '../query.ts';

export interface Session {
  id: string;
  title: string | null;
  user_id: string | null;
  agent_id: string;
  message_count: number;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

const fetchSessions = (url: string, signal: AbortSignal) => api<Page<Session>>(url, { signal });

export function SessionsPage() {
  const sessions = usePaged('/v1/sessions?limit=50', fetchSessions);
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  const shown = (sessions.data ?? []).filter(
    (session) =>
      !needle ||
      [session.id, session.title ?? '', session.user_id ?? '', session.agent_id].some((field) =>
        field.toLowerCase().includes(needle),
      ),
  );
  return (
    <>
      <PageHeader title="Sessions" />
      <div class="inline-form">
        <label for="session-filter">Filter</label>
        <input
          id="session-filter"
          type="search"
          placeholder="id, title, user or agent"
          value={filter}
          onInput={(event) => setFilter(event.currentTarget.value)}
        />
      </div>
      <ErrorBox error={sessions.error} />
      {sessions.loading && !sessions.data && <Loading />}
      {sessions.data && shown.length === 0 && (
        <Empty>{needle ? 'No session matches the filter.' : 'No sessions yet.'}</Empty>
      )}
      {shown.length > 0 && (
        <TableWrap label="Sessions">
          <table>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Agent</th>
                <th scope="col">User</th>
                <th scope="col">Messages</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((session) => (
                <tr key={session.id}>
                  <td>
                    <a href={`/console/sessions/${enc(session.id)}`}>{session.title || session.id}</a>
                    <div class="muted small">{session.id}</div>
                  </td>
                  <td>{session.agent_id}</td>
                  <td>{session.user_id ?? '—'}</td>
                  <td>{session.message_count}</td>
                  <td>{formatDate(session.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <MoreButton hasMore={sessions.hasMore} onMore={sessions.more} />
    </>
  );
}
