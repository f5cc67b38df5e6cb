import { useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { ConfirmButton, ErrorBox, ListState, PageHeader, Section } from '../components.tsx';
import { useMutation, useQuery } from '../query.ts';

export function SecretsPage() {
  const secrets = useQuery('secrets', (signal) => api<{ data: { name: string }[] }>('/v1/secrets', { signal }));
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [rotating, setRotating] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const put = useMutation(async (secret: string, secretValue: string) => {
    await api(`/v1/secrets/${enc(secret)}`, { method: 'PUT', body: { value: secretValue } });
    return true;
  });
  const remove = useMutation(async (secret: string) => {
    await api(`/v1/secrets/${enc(secret)}`, { method: 'DELETE' });
    return true;
  });
  const submit = async (event: Event) => {
    event.preventDefault();
    const target = rotating ?? name.trim();
    if (await put.run(target, value)) {
      setDone(rotating ? `Secret ${target} rotated.` : `Secret ${target} set.`);
      setValue('');
      setName('');
      setRotating(null);
      secrets.reload();
    }
  };
  return (
    <>
      <PageHeader title="Secrets" />
      <p class="muted">Values are write-only: the console shows names, never values.</p>
      <Section id="set-secret" title={rotating ? `Rotate ${rotating}` : 'Set a secret'}>
        <form class="grid-form" onSubmit={submit}>
          {!rotating && (
            <>
              <label for="secret-name">Name</label>
              <input
                id="secret-name"
                required
                value={name}
                onInput={(event) => setName(event.currentTarget.value)}
                placeholder="openai.key"
              />
            </>
          )}
          <label for="secret-value">{rotating ? 'New value' : 'Value'}</label>
          <input
            id="secret-value"
            type="password"
            autocomplete="off"
            required
            value={value}
            onInput={(event) => setValue(event.currentTarget.value)}
          />
          <div class="actions">
            <button type="submit" class="primary" disabled={put.pending}>
              {rotating ? 'Rotate' : 'Set'}
            </button>
            {rotating && (
              <button type="button" onClick={() => setRotating(null)}>
                Cancel
              </button>
            )}
            <span role="status">{done}</span>
          </div>
        </form>
        <ErrorBox error={put.error} />
      </Section>
      <Section id="secret-list" title="Stored secrets">
        <ListState
          error={secrets.error ?? remove.error}
          loading={secrets.loading}
          items={secrets.data?.data}
          empty="No secrets."
        />
        <ul class="plain-list">
          {(secrets.data?.data ?? []).map((secret) => (
            <li key={secret.name}>
              <code>{secret.name}</code>
              <span class="actions">
                <button type="button" onClick={() => setRotating(secret.name)}>
                  Rotate<span class="visually-hidden"> {secret.name}</span>
                </button>
                <ConfirmButton
                  label={`Delete ${secret.name}`}
                  question={`Delete secret ${secret.name}? Configs that name it stop working.`}
                  confirmLabel="Delete"
                  onConfirm={async () => {
                    if (await remove.run(secret.name)) secrets.reload();
                  }}
                />
              </span>
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}
