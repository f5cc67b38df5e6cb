import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { ApiError, api, enc, type Page } from '../api.ts';
import {
  ConfirmButton,
  ErrorBox,
  formatDate,
  Loading,
  NotFound,
  PageHeader,
  Section,
  TableWrap,
} from '../components.tsx';
import { diffLines, stableJson } from '../diff.ts';
import { useMutation, useQuery } from '../query.ts';
import type { Agent } from './playground.tsx';

interface AgentVersion {
  agent_id: string;
  version: number;
  config: Record<string, unknown>;
  created_by: string;
  created_at: string;
}

export function AgentDetailPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? '';
  const agent = useQuery(`agent:${id}`, (signal) => api<Agent>(`/v1/agents/${enc(id)}`, { signal }));
  const versions = useQuery(`versions:${id}:${agent.data?.version ?? 0}`, (signal) =>
    api<Page<AgentVersion>>(`/v1/agents/${enc(id)}/versions?limit=100`, { signal }),
  );
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [configText, setConfigText] = useState('');
  const [saved, setSaved] = useState('');
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);

  useEffect(() => {
    if (!agent.data) return;
    setName(agent.data.name);
    setDescription(agent.data.description ?? '');
    setConfigText(JSON.stringify(agent.data.config, null, 2));
  }, [agent.data]);

  const save = useMutation(async () => {
    let config: unknown;
    try {
      config = JSON.parse(configText);
    } catch (error) {
      throw new ApiError({
        status: 0,
        code: 'INVALID_JSON',
        message: `The config is not valid JSON: ${String(error)}`,
      });
    }
    return api<Agent>(`/v1/agents/${enc(id)}`, {
      method: 'PATCH',
      body: { name, description: description || null, config },
    });
  });
  const restore = useMutation((version: number) =>
    api<Agent>(`/v1/agents/${enc(id)}/versions/${version}/restore`, { method: 'POST' }),
  );
  const remove = useMutation(async () => {
    await api(`/v1/agents/${enc(id)}?cascade=true`, { method: 'DELETE' });
    return true;
  });

  if (agent.error?.status === 404) return <NotFound what={`Agent ${id}`} />;
  if (!agent.data) return agent.error ? <ErrorBox error={agent.error} /> : <Loading />;

  const list = versions.data?.data ?? [];
  const newest = list[0]?.version ?? agent.data.version;
  const leftVersion = list.find((item) => item.version === (left ?? newest - 1)) ?? list[1];
  const rightVersion = list.find((item) => item.version === (right ?? newest)) ?? list[0];

  return (
    <>
      <PageHeader title={`Agent ${agent.data.name || id}`}>
        <a class="button" href={`/console/playground?agent=${enc(id)}`}>
          Try in playground
        </a>
        {id !== 'default' && (
          <ConfirmButton
            label="Delete agent"
            question={`Delete agent ${id} and every session that uses it?`}
            onConfirm={async () => {
              if (await remove.run()) route('/console/agents');
            }}
          />
        )}
      </PageHeader>
      <ErrorBox error={remove.error} />
      <p class="muted">
        {id} · version {agent.data.version} · updated {formatDate(agent.data.updated_at)}
      </p>
      <Section id="edit-agent" title="Edit">
        <form
          class="grid-form"
          onSubmit={async (event) => {
            event.preventDefault();
            setSaved('');
            const updated = await save.run();
            if (updated) {
              setSaved(`Saved as version ${updated.version}.`);
              agent.reload();
            }
          }}
        >
          <label for="edit-name">Name</label>
          <input id="edit-name" value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <label for="edit-description">Description</label>
          <input
            id="edit-description"
            value={description}
            onInput={(event) => setDescription(event.currentTarget.value)}
          />
          <label for="edit-config">Config (JSON, snake_case)</label>
          <textarea
            id="edit-config"
            class="code-input"
            rows={14}
            spellcheck={false}
            value={configText}
            onInput={(event) => setConfigText(event.currentTarget.value)}
          />
          <div class="actions">
            <button type="submit" class="primary" disabled={save.pending}>
              Save
            </button>
            <span role="status">{saved}</span>
          </div>
        </form>
        <ErrorBox error={save.error} />
      </Section>
      <Section id="versions" title="Version history">
        <ErrorBox error={versions.error ?? restore.error} />
        {versions.loading && !versions.data && <Loading />}
        <TableWrap label="Versions">
          <table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">By</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((version) => (
                <tr key={version.version}>
                  <td>v{version.version}</td>
                  <td>{version.created_by}</td>
                  <td>{formatDate(version.created_at)}</td>
                  <td>
                    {version.version !== agent.data?.version && (
                      <button
                        type="button"
                        aria-label={`Restore version ${version.version}`}
                        onClick={async () => {
                          const restored = await restore.run(version.version);
                          if (restored) {
                            setSaved(`Version ${version.version} restored as version ${restored.version}.`);
                            agent.reload();
                          }
                        }}
                      >
                        Restore
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        {list.length > 1 && leftVersion && rightVersion && (
          <div class="diff-box">
            <h3>Diff</h3>
            <div class="inline-form">
              <label for="diff-left">From</label>
              <select
                id="diff-left"
                value={leftVersion.version}
                onChange={(event) => setLeft(Number(event.currentTarget.value))}
              >
                {list.map((version) => (
                  <option key={version.version} value={version.version}>
                    v{version.version}
                  </option>
                ))}
              </select>
              <label for="diff-right">to</label>
              <select
                id="diff-right"
                value={rightVersion.version}
                onChange={(event) => setRight(Number(event.currentTarget.value))}
              >
                {list.map((version) => (
                  <option key={version.version} value={version.version}>
                    v{version.version}
                  </option>
                ))}
              </select>
            </div>
            <pre class="diff">
              {diffLines(stableJson(leftVersion.config), stableJson(rightVersion.config)).map((line, index) => (
                <span key={index} class={line.op === '+' ? 'add' : line.op === '-' ? 'del' : 'same'}>
                  {line.op} {line.text}
                  {'\n'}
                </span>
              ))}
            </pre>
          </div>
        )}
      </Section>
    </>
  );
}
