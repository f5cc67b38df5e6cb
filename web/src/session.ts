import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { ApiError, api, setCsrfToken } from './api.ts';

export interface ConsoleSession {
  kind: 'tenant' | 'operator';
  tenant_id?: string;
  scopes: string[];
  csrf_token: string;
  expires_at: string;
}

/** The current session (from the httpOnly cookie), or null when signed out. */
export async function loadSession(): Promise<ConsoleSession | null> {
  try {
    const session = await api<ConsoleSession>('/console/api/session');
    setCsrfToken(session.csrf_token);
    return session;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) return null;
    throw error;
  }
}

/** Exchanges a key for a cookie session. The key is sent once and kept nowhere. */
export async function signIn(key: string): Promise<ConsoleSession> {
  const session = await api<ConsoleSession>('/console/api/session', { method: 'POST', body: { key } });
  setCsrfToken(session.csrf_token);
  return session;
}

export async function signOut(): Promise<void> {
  try {
    await api('/console/api/session', { method: 'DELETE' });
  } finally {
    setCsrfToken(null);
  }
}

export interface SessionContextValue {
  session: ConsoleSession;
  signOut: () => void;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in console');
  return value;
}
