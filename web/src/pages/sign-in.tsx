import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorBox } from '../components.tsx';
import { useMutation } from '../query.ts';
import { type ConsoleSession, signIn } from '../session.ts';

/**
 * Sign in with an API key (tenant) or the admin key (operator). The key goes to the server once,
 * in the body of the sign-in request, and is kept nowhere in the browser: the server answers
 * with an httpOnly cookie.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: ConsoleSession) => void }) {
  const [key, setKey] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const mutation = useMutation(signIn);
  useEffect(() => {
    document.title = 'Sign in · Enclave console';
    input.current?.focus();
  }, []);
  return (
    <main id="main" class="center signin">
      <h1>Enclave console</h1>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const session = await mutation.run(key.trim());
          setKey('');
          if (session) onSignedIn(session);
        }}
      >
        <label for="key">API key or admin key</label>
        <input
          id="key"
          ref={input}
          type="password"
          autocomplete="off"
          required
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
        />
        <p class="hint">The key is exchanged for a session cookie and is not stored in this browser.</p>
        <button type="submit" class="primary" disabled={mutation.pending}>
          {mutation.pending ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorBox error={mutation.error} />
      </form>
    </main>
  );
}
