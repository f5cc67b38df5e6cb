import { api } from '../api.ts';
import { CopyButton, ListState, PageHeader, Section, TableWrap } from '../components.tsx';
import { useQuery } from '../query.ts';

interface Model {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export function nodeSnippet(baseUrl: string, model: string): string {
  return `import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${baseUrl}', apiKey: process.env.ENCLAVE_API_KEY });
const completion = await client.chat.completions.create({
  model: '${model}',
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(completion.choices[0].message.content);`;
}

export function curlSnippet(baseUrl: string, model: string): string {
  return `curl ${baseUrl}/chat/completions \\
  -H "Authorization: Bearer $ENCLAVE_API_KEY" \\
  -H 'Content-Type: application/json' \\
  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`;
}

function Snippet({ id, title, text }: { id: string; title: string; text: string }) {
  return (
    <section aria-labelledby={id}>
      <div class="page-header">
        <h3 id={id}>{title}</h3>
        <CopyButton text={text} label={`Copy ${title}`} />
      </div>
      <pre class="snippet" data-testid={`${id}-code`}>
        <code>{text}</code>
      </pre>
    </section>
  );
}

/** The OpenAI-compatible API of this tenant: its base URL, its models, and copyable examples. */
export function OpenAiPage() {
  const models = useQuery('models', (signal) => api<{ data: Model[] }>('/v1/models', { signal }));
  const baseUrl = `${location.origin}/v1`;
  const first = models.data?.data.find((model) => model.owned_by === 'agent')?.id ?? 'default';
  return (
    <>
      <PageHeader title="OpenAI-compatible API" />
      <p>
        Any OpenAI client works against Enclave with this base URL and one of this tenant's API keys (scope{' '}
        <code>chat</code>). A model is one of your agents, or a provider model your tenant may call.
      </p>
      <dl class="facts">
        <dt>Base URL</dt>
        <dd>
          <code data-testid="base-url">{baseUrl}</code> <CopyButton text={baseUrl} label="Copy base URL" />
        </dd>
        <dt>API key</dt>
        <dd>
          Create one on the <a href="/console/keys">Keys</a> page and export it as <code>ENCLAVE_API_KEY</code>.
        </dd>
      </dl>
      <Section id="models" title="Models">
        <ListState error={models.error} loading={models.loading} items={models.data?.data} empty="No models." />
        {models.data && models.data.data.length > 0 && (
          <TableWrap label="Models">
            <table>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Kind</th>
                </tr>
              </thead>
              <tbody>
                {models.data.data.map((model) => (
                  <tr key={model.id} data-model={model.id}>
                    <td>
                      <code>{model.id}</code>
                    </td>
                    <td>{model.owned_by === 'agent' ? 'agent' : `${model.owned_by} model`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
      <Section id="examples" title="Examples">
        <Snippet id="snippet-node" title="Node (openai SDK)" text={nodeSnippet(baseUrl, first)} />
        <Snippet id="snippet-curl" title="curl" text={curlSnippet(baseUrl, first)} />
        <p class="muted small">
          Details: <code>docs/openai-compatibility.md</code> (Chat Completions, Responses, Conversations).
        </p>
      </Section>
    </>
  );
}
