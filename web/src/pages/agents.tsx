import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, enc, type Page } from '../api.ts';
import { ErrorBox, formatDate, ListState, MoreButton, PageHeader, Section, TableWrap } from '../components.tsx';
import { useMutation, usePaged } from '../query.ts';
import type { Agent } from './playground.tsx';

const fetchAgents = (url: string, signal: AbortSignal) => api<Page<Agent>>(url, { signal });

export function AgentsPage() {
  const { route } = useLocation();
  const agents = usePaged('/v1/agents?limit=50', fetchAgents);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [prompt, setPrompt] = useState('You are a helpful assistant.');
  const [tools, setTools] = useState('current_time, calculator');
  const create = useMutation(() =>
    api<Agent>('/v1/agents', {
      method: 'POST',
      body: {
        ...(id.trim() ? { id: id.trim() } : {}),
        ...(name.trim() ? { name: name.trim() } : {}),
        config: {
          system_prompt: prompt,
          tools: tools
            .split(',')
            .map((tool) => tool.trim())
            .filter(Boolean),
        },
      },
    }),
  );
  return (
    <>
      <PageHeader title="Agents" />
      <Section id="create-agent" title="Create an agent">
        <form
          class="grid-form"
          onSubmit={async (event) => {
            event.preventDefault();
            const agent = await create.run();
            if (agent) route(`/console/agents/${enc(agent.id)}`);
          }}
        >
          <label for="agent-id">Id (optional)</label>
          <input id="agent-id" value={id} onInput={(event) => setId(event.currentTarget.value)} placeholder="support" />
          <label for="agent-name">Name</label>
          <input id="agent-name" value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <label for="agent-prompt">System prompt</label>
          <textarea
            id="agent-prompt"
            rows={3}
            value={prompt}
            onInput={(event) => setPrompt(event.currentTarget.value)}
          />
          <label for="agent-tools">Tools (comma-separated)</label>
          <input id="agent-tools" value={tools} onInput={(event) => setTools(event.currentTarget.value)} />
          <div class="actions">
            <button type="submit" class="primary" disabled={create.pending}>
              Create agent
            </button>
          </div>
        </form>
        <ErrorBox error={create.error} />
      </Section>
      <Section id="agent-list" title="All agents">
        <ListState error={agents.error} loading={agents.loading} items={agents.data} empty="No agents yet." />
        {agents.data && agents.data.length > 0 && (
          <TableWrap label="Agents">
            <table>
              <thead>
                <tr>
                  <th scope="col">Agent</th>
                  <th scope="col">Version</th>
                  <th scope="col">Model</th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {agents.data.map((agent) => (
                  <tr key={agent.id}>
                    <td>
                      <a href={`/console/agents/${enc(agent.id)}`}>{agent.name || agent.id}</a>
                      <div class="muted small">{agent.id}</div>
                    </td>
                    <td>v{agent.version}</td>
                    <td>
                      <code>{modelOf(agent.config)}</code>
                    </td>
                    <td>{formatDate(agent.updated_at)}</td>
                    <td>
                      <a href={`/console/playground?agent=${enc(agent.id)}`}>Try in playground</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <MoreButton hasMore={agents.hasMore} onMore={agents.more} />
      </Section>
    </>
  );
}

export function modelOf(config: Record<string, unknown>): string {
  const model = config.model as { provider?: string; id?: string } | undefined;
  return model ? `${model.provider ?? ''}/${model.id ?? ''}` : '—';
}
