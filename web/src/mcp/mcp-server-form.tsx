import { useState } from 'preact/hooks';
import type { ApiError } from '../api.ts';
import { ErrorBox } from '../components.tsx';

export type McpAuth =
  | { type: 'none' }
  | { type: 'headers'; headers: Record<string, string> }
  | {
      type: 'oauth';
      grant: 'client_credentials' | 'authorization_code';
      client_id?: string | null;
      client_secret_name?: string | null;
      scope?: string | null;
    };

export interface McpServer {
  id: string;
  object: 'mcp_server';
  name: string;
  url: string;
  transport: 'streamable-http' | 'sse';
  auth: McpAuth;
  tools: string[] | null;
  call_timeout_ms: number | null;
  per_user_credentials: boolean;
  created_at: string;
  updated_at: string;
}

export type McpServerBody = Omit<McpServer, 'id' | 'object' | 'created_at' | 'updated_at'>;

/** `Name: value` lines to a header map (the value may hold `{{secret:NAME}}` templates). */
export function parseHeaderLines(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim();
    if (name) headers[name] = line.slice(at + 1).trim();
  }
  return headers;
}

export function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
}

/** Comma- or line-separated tool names; empty means every tool the server lists (`null`). */
export function parseAllowlist(text: string): string[] | null {
  const names = text
    .split(/[\n,]/)
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length > 0 ? names : null;
}

/**
 * The fields of an MCP server for create and edit. It checks nothing itself: the API's
 * validation messages (and field errors) are shown as they come.
 */
export function McpServerForm({
  initial,
  submitLabel,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  initial?: McpServer | undefined;
  submitLabel: string;
  pending: boolean;
  error: ApiError | null;
  onSubmit: (body: McpServerBody) => void;
  onCancel?: () => void;
}) {
  const auth = initial?.auth ?? { type: 'none' };
  const [name, setName] = useState(initial?.name ?? '');
  const [url, setUrl] = useState(initial?.url ?? '');
  const [transport, setTransport] = useState<McpServer['transport']>(initial?.transport ?? 'streamable-http');
  const [authType, setAuthType] = useState<McpAuth['type']>(auth.type);
  const [headers, setHeaders] = useState(auth.type === 'headers' ? headerLines(auth.headers) : '');
  const [grant, setGrant] = useState(auth.type === 'oauth' ? auth.grant : 'authorization_code');
  const [clientId, setClientId] = useState(auth.type === 'oauth' ? (auth.client_id ?? '') : '');
  const [clientSecret, setClientSecret] = useState(auth.type === 'oauth' ? (auth.client_secret_name ?? '') : '');
  const [scope, setScope] = useState(auth.type === 'oauth' ? (auth.scope ?? '') : '');
  const [tools, setTools] = useState((initial?.tools ?? []).join(', '));
  const [timeout, setTimeoutMs] = useState(initial?.call_timeout_ms ? String(initial.call_timeout_ms) : '');
  const [perUser, setPerUser] = useState(initial?.per_user_credentials ?? false);
  const prefix = initial ? 'edit-mcp' : 'mcp';

  const body = (): McpServerBody => ({
    name: name.trim(),
    url: url.trim(),
    transport,
    auth:
      authType === 'headers'
        ? { type: 'headers', headers: parseHeaderLines(headers) }
        : authType === 'oauth'
          ? {
              type: 'oauth',
              grant,
              client_id: clientId.trim() || null,
              client_secret_name: clientSecret.trim() || null,
              scope: scope.trim() || null,
            }
          : { type: 'none' },
    tools: parseAllowlist(tools),
    call_timeout_ms: timeout.trim() ? Number(timeout) : null,
    per_user_credentials: perUser,
  });

  return (
    <>
      <form
        class="grid-form"
        onSubmit={(event) => {
          event.preventDefault();
          onSubmit(body());
        }}
      >
        <label for={`${prefix}-name`}>Name</label>
        <input
          id={`${prefix}-name`}
          required
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
          placeholder="github"
          aria-describedby={`${prefix}-name-hint`}
        />
        <p id={`${prefix}-name-hint`} class="hint small span-all">
          The tools' namespace: the model sees <code>name__tool</code>. Lower-case letters, digits and <code>-</code>.
        </p>
        <label for={`${prefix}-url`}>URL</label>
        <input
          id={`${prefix}-url`}
          required
          value={url}
          onInput={(event) => setUrl(event.currentTarget.value)}
          placeholder="https://mcp.example.com/mcp"
        />
        <label for={`${prefix}-transport`}>Transport</label>
        <select
          id={`${prefix}-transport`}
          value={transport}
          onChange={(event) => setTransport(event.currentTarget.value as McpServer['transport'])}
        >
          <option value="streamable-http">Streamable HTTP</option>
          <option value="sse">HTTP+SSE (older servers)</option>
        </select>
        <fieldset>
          <legend>Authentication</legend>
          {(
            [
              ['none', 'None'],
              ['headers', 'Headers from secrets'],
              ['oauth', 'OAuth'],
            ] as const
          ).map(([value, label]) => (
            <label key={value} class="check">
              <input
                type="radio"
                name={`${prefix}-auth`}
                value={value}
                checked={authType === value}
                onChange={() => setAuthType(value)}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        {authType === 'headers' && (
          <>
            <label for={`${prefix}-headers`}>Headers (one per line)</label>
            <textarea
              id={`${prefix}-headers`}
              rows={3}
              value={headers}
              onInput={(event) => setHeaders(event.currentTarget.value)}
              placeholder={'Authorization: Bearer {{secret:github.token}}'}
              aria-describedby={`${prefix}-headers-hint`}
            />
            <p id={`${prefix}-headers-hint`} class="hint small span-all">
              Write <code>{'{{secret:NAME}}'}</code> for a tenant secret (set it on the Secrets page) and{' '}
              <code>{'{{user_credential}}'}</code> for the end user's own credential. Values are never stored here.
            </p>
          </>
        )}
        {authType === 'oauth' && (
          <>
            <label for={`${prefix}-grant`}>Grant</label>
            <select
              id={`${prefix}-grant`}
              value={grant}
              onChange={(event) => setGrant(event.currentTarget.value as typeof grant)}
            >
              <option value="authorization_code">Authorization code (a person signs in)</option>
              <option value="client_credentials">Client credentials (machine to machine)</option>
            </select>
            <label for={`${prefix}-client-id`}>Client id (optional)</label>
            <input
              id={`${prefix}-client-id`}
              value={clientId}
              onInput={(event) => setClientId(event.currentTarget.value)}
            />
            <label for={`${prefix}-client-secret`}>Client secret name (optional)</label>
            <input
              id={`${prefix}-client-secret`}
              value={clientSecret}
              onInput={(event) => setClientSecret(event.currentTarget.value)}
              placeholder="github.client-secret"
            />
            <label for={`${prefix}-scope`}>Scope (optional)</label>
            <input id={`${prefix}-scope`} value={scope} onInput={(event) => setScope(event.currentTarget.value)} />
          </>
        )}
        <label for={`${prefix}-tools`}>Tool allowlist (optional)</label>
        <input
          id={`${prefix}-tools`}
          value={tools}
          onInput={(event) => setTools(event.currentTarget.value)}
          placeholder="empty: every tool the server lists"
        />
        <label for={`${prefix}-timeout`}>Call timeout, ms (optional)</label>
        <input
          id={`${prefix}-timeout`}
          type="number"
          value={timeout}
          onInput={(event) => setTimeoutMs(event.currentTarget.value)}
        />
        <fieldset>
          <legend>End users</legend>
          <label class="check">
            <input type="checkbox" checked={perUser} onChange={(event) => setPerUser(event.currentTarget.checked)} />{' '}
            Each end user brings their own credential
          </label>
        </fieldset>
        <div class="actions">
          <button type="submit" class="primary" disabled={pending}>
            {submitLabel}
          </button>
          {onCancel && (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </form>
      <ErrorBox error={error} />
    </>
  );
}

export function authLabel(auth: McpAuth): string {
  if (auth.type === 'headers') return 'headers';
  if (auth.type === 'oauth') return `OAuth (${auth.grant.replace('_', ' ')})`;
  return 'none';
}
