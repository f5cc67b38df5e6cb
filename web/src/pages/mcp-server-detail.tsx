import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { ApiError, api, enc, qs } from '../api.ts';
import {
  ConfirmButton,
  ErrorBox,
  formatDate,
  ListState,
  Loading,
  NotFound,
  PageHeader,
  Section,
} from '../components.tsx';
import { authLabel, headerLines, type McpServer, type McpServerBody, McpServerForm } from '../mcp/mcp-server-form.tsx';
import { useMutation, useQuery } from '../query.ts';
import { httpUrlOrNull } from '../safe-url.ts';

/** Only the fields the form changed: PATCH replaces each given field, so unchanged ones stay out. */
function changedFields(current: McpServer, body: McpServerBody): Partial<McpServerBody> {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body))
    if (JSON.stringify(value) !== JSON.stringify(current[key as keyof McpServerBody])) changed[key] = value;
  return changed as Partial<McpServerBody>;
}

interface McpTool {
  name: string;
  model_name: string;
  description: string | null;
  input_schema: Record<string, unknown>;
}

export function McpServerDetailPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? '';
  const server = useQuery(`mcp:${id}`, (signal) => api<McpServer>(`/v1/mcp-servers/${enc(id)}`, { signal }));
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState('');
  const save = useMutation((body: Partial<McpServerBody>) =>
    api<McpServer>(`/v1/mcp-servers/${enc(id)}`, { method: 'PATCH', body }),
  );
  const remove = useMutation(async () => {
    await api(`/v1/mcp-servers/${enc(id)}`, { method: 'DELETE' });
    return true;
  });

  if (server.error?.status === 404) return <NotFound what="This MCP server" />;
  if (!server.data) return server.error ? <ErrorBox error={server.error} /> : <Loading />;
  const data = server.data;
  return (
    <>
      <PageHeader title={`MCP server ${data.name}`}>
        {!editing && (
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
        )}
        <ConfirmButton
          label="Delete"
          question={`Delete MCP server ${data.name}? Its users' credentials go with it; agents that name it lose its tools.`}
          onConfirm={async () => {
            if (await remove.run()) route('/console/mcp-servers');
          }}
        />
      </PageHeader>
      <ErrorBox error={remove.error} />
      <span role="status">{saved}</span>
      {editing ? (
        <Section id="edit-mcp" title="Edit">
          <McpServerForm
            initial={data}
            submitLabel="Save"
            pending={save.pending}
            error={save.error}
            onCancel={() => {
              setEditing(false);
              save.reset();
            }}
            onSubmit={async (body) => {
              if (await save.run(changedFields(data, body))) {
                setEditing(false);
                setSaved('Saved.');
                server.reload();
              }
            }}
          />
        </Section>
      ) : (
        <dl class="facts">
          <dt>Id</dt>
          <dd>
            <code>{data.id}</code>
          </dd>
          <dt>URL</dt>
          <dd>
            <code>{data.url}</code> ({data.transport})
          </dd>
          <dt>Auth</dt>
          <dd>
            {authLabel(data.auth)}
            {data.auth.type === 'headers' && <pre class="small">{headerLines(data.auth.headers)}</pre>}
          </dd>
          <dt>Tool allowlist</dt>
          <dd>{data.tools ? data.tools.join(', ') : 'every tool the server lists'}</dd>
          <dt>Call timeout</dt>
          <dd>{data.call_timeout_ms ? `${data.call_timeout_ms} ms` : 'the server default'}</dd>
          <dt>Credentials</dt>
          <dd>{data.per_user_credentials ? 'each end user their own' : 'the tenant’s'}</dd>
          <dt>Updated</dt>
          <dd>{formatDate(data.updated_at)}</dd>
        </dl>
      )}
      {data.auth.type === 'oauth' && data.auth.grant === 'authorization_code' && <OAuthSection server={data} />}
      {data.per_user_credentials && data.auth.type !== 'oauth' && <CredentialSection server={data} />}
      <ToolsSection server={data} />
    </>
  );
}

function ToolsSection({ server }: { server: McpServer }) {
  // The listing is live (a call to the server); the key changes with the record, so an edit lists again.
  const tools = useQuery(`mcp-tools:${server.id}:${server.updated_at}`, (signal) =>
    api<{ data: McpTool[] }>(`/v1/mcp-servers/${enc(server.id)}/tools`, { signal }),
  );
  return (
    <Section id="mcp-tools" title="Tools">
      <p class="muted small">Listed live from the server (cached 30 s).</p>
      <ListState
        error={tools.error}
        loading={tools.loading}
        items={tools.data?.data}
        loadingLabel="Loading tools…"
        empty="The server lists no tools."
      />
      <ul class="plain-list tools">
        {(tools.data?.data ?? []).map((tool) => (
          <li key={tool.name} data-tool={tool.name}>
            <div>
              <code>{tool.name}</code> <span class="muted small">model sees {tool.model_name}</span>
              {tool.description && <p class="small">{tool.description}</p>}
              <details>
                <summary>Input schema</summary>
                <pre class="schema small">{JSON.stringify(tool.input_schema, null, 2)}</pre>
              </details>
            </div>
          </li>
        ))}
      </ul>
    </Section>
  );
}

function OAuthSection({ server }: { server: McpServer }) {
  const [user, setUser] = useState('');
  const [checked, setChecked] = useState('');
  const status = useQuery(`oauth:${server.id}:${checked}`, (signal) =>
    api<{ authorized: boolean; expires_at: string | null }>(
      `/v1/mcp-servers/${enc(server.id)}/oauth${qs({ user_id: checked || undefined })}`,
      { signal },
    ),
  );
  const [url, setUrl] = useState<string | null>(null);
  const connect = useMutation(async () => {
    const started = await api<{ authorization_url: string }>(`/v1/mcp-servers/${enc(server.id)}/oauth/authorize`, {
      method: 'POST',
      body: user.trim() ? { user_id: user.trim() } : {},
    });
    const safe = httpUrlOrNull(started.authorization_url);
    if (!safe)
      throw new ApiError({
        status: 0,
        code: 'MCP_OAUTH_FAILED',
        message: 'The authorization server gave an authorization URL that is not http(s); it was not opened.',
      });
    setUrl(safe);
    window.open(safe, '_blank', 'noopener');
    return started;
  });
  const forget = useMutation(async () => {
    await api(`/v1/mcp-servers/${enc(server.id)}/oauth${qs({ user_id: checked || undefined })}`, {
      method: 'DELETE',
    });
    status.reload();
    return true;
  });
  return (
    <Section id="mcp-oauth" title="OAuth">
      {server.per_user_credentials && (
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            setChecked(user.trim());
          }}
        >
          <label for="oauth-user">End user</label>
          <input id="oauth-user" value={user} onInput={(event) => setUser(event.currentTarget.value)} />
          <button type="submit">Check</button>
        </form>
      )}
      <ErrorBox error={status.error ?? forget.error} />
      {status.data && (
        <p data-testid="oauth-status">
          {status.data.authorized
            ? `Connected${status.data.expires_at ? `; the access token expires ${formatDate(status.data.expires_at)}` : ''}.`
            : 'Not connected.'}
        </p>
      )}
      <div class="actions">
        <button type="button" class="primary" disabled={connect.pending} onClick={() => connect.run()}>
          Connect{server.per_user_credentials && user.trim() ? ` for ${user.trim()}` : ''}
        </button>
        {status.data?.authorized && (
          <button type="button" onClick={() => forget.run()}>
            Disconnect
          </button>
        )}
      </div>
      {url && (
        <p class="small">
          The authorization page opened in a new tab; if it did not,{' '}
          <a href={url} target="_blank" rel="noopener noreferrer">
            open it here
          </a>
          . Come back and reload when you have signed in.
        </p>
      )}
      <ErrorBox error={connect.error} />
    </Section>
  );
}

function CredentialSection({ server }: { server: McpServer }) {
  const [user, setUser] = useState('');
  const [credential, setCredential] = useState('');
  const [result, setResult] = useState('');
  const path = () => `/v1/mcp-servers/${enc(server.id)}/credentials/${enc(user.trim())}`;
  const act = useMutation(async (action: 'check' | 'set' | 'delete') => {
    if (!user.trim()) throw new ApiError({ status: 0, code: 'VALIDATION_FAILED', message: 'Name an end user.' });
    if (action === 'set') {
      await api(path(), { method: 'PUT', body: { credential } });
      setCredential('');
      setResult(`Credential of ${user.trim()} set.`);
    } else if (action === 'delete') {
      await api(path(), { method: 'DELETE' });
      setResult(`Credential of ${user.trim()} deleted.`);
    } else {
      const answer = await api<{ set: boolean }>(path());
      setResult(answer.set ? `${user.trim()} has a credential.` : `${user.trim()} has no credential.`);
    }
    return true;
  });
  return (
    <Section id="mcp-credentials" title="End-user credentials">
      <p class="muted small">Write-only: the console shows whether a user has one, never its value.</p>
      <form
        class="grid-form"
        onSubmit={(event) => {
          event.preventDefault();
          act.run('set');
        }}
      >
        <label for="cred-user">End user</label>
        <input id="cred-user" required value={user} onInput={(event) => setUser(event.currentTarget.value)} />
        <label for="cred-value">Credential</label>
        <input
          id="cred-value"
          type="password"
          autocomplete="off"
          value={credential}
          onInput={(event) => setCredential(event.currentTarget.value)}
        />
        <div class="actions">
          <button type="submit" class="primary" disabled={act.pending || !credential}>
            Set credential
          </button>
          <button type="button" disabled={act.pending} onClick={() => act.run('check')}>
            Check
          </button>
          <button type="button" class="danger" disabled={act.pending} onClick={() => act.run('delete')}>
            Delete credential
          </button>
          <span role="status">{result}</span>
        </div>
      </form>
      <ErrorBox error={act.error} />
    </Section>
  );
}
