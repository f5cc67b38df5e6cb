import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, enc } from '../api.ts';
import { formatDate, ListState, PageHeader, Section, TableWrap } from '../components.tsx';
import { authLabel, type McpServer, type McpServerBody, McpServerForm } from '../mcp/mcp-server-form.tsx';
import { useMutation, useQuery } from '../query.ts';

export function McpServersPage() {
  const { route } = useLocation();
  const servers = useQuery('mcp-servers', (signal) => api<{ data: McpServer[] }>('/v1/mcp-servers', { signal }));
  const [adding, setAdding] = useState(false);
  const create = useMutation((body: McpServerBody) => api<McpServer>('/v1/mcp-servers', { method: 'POST', body }));
  return (
    <>
      <PageHeader title="MCP servers">
        {!adding && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add a server
          </button>
        )}
      </PageHeader>
      <p class="muted">
        Remote MCP servers whose tools this tenant's agents may use (name them in an agent's <code>mcp_servers</code>).
      </p>
      {adding && (
        <Section id="add-mcp" title="Add an MCP server">
          <McpServerForm
            submitLabel="Create server"
            pending={create.pending}
            error={create.error}
            onCancel={() => {
              setAdding(false);
              create.reset();
            }}
            onSubmit={async (body) => {
              const server = await create.run(body);
              if (server) route(`/console/mcp-servers/${enc(server.id)}`);
            }}
          />
        </Section>
      )}
      <Section id="mcp-list" title="Servers">
        <ListState
          error={servers.error}
          loading={servers.loading}
          items={servers.data?.data}
          empty="No MCP servers yet."
        />
        {servers.data && servers.data.data.length > 0 && (
          <TableWrap label="MCP servers">
            <table>
              <thead>
                <tr>
                  <th scope="col">Server</th>
                  <th scope="col">URL</th>
                  <th scope="col">Auth</th>
                  <th scope="col">Tools</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {servers.data.data.map((server) => (
                  <tr key={server.id} data-server={server.name}>
                    <td>
                      <a href={`/console/mcp-servers/${enc(server.id)}`}>{server.name}</a>
                      <div class="muted small">{server.id}</div>
                    </td>
                    <td>
                      <code>{server.url}</code>
                    </td>
                    <td>
                      {authLabel(server.auth)}
                      {server.per_user_credentials && <div class="muted small">per user</div>}
                    </td>
                    <td>{server.tools ? server.tools.join(', ') : 'all'}</td>
                    <td>{formatDate(server.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
    </>
  );
}
