import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, lazy, Route, Router, useLocation } from 'preact-iso';
import { ApiError, setUnauthenticatedHandler } from './api.ts';
import { ErrorBox, Loading, NotFound } from './components.tsx';
import { AgentDetailPage } from './pages/agent-detail.tsx';
import { AgentsPage } from './pages/agents.tsx';
import { AuditPage, TenantAuditPage } from './pages/audit.tsx';
import { HealthPage } from './pages/health.tsx';
import { KeysPage } from './pages/keys.tsx';
import { OperatorUsagePage } from './pages/operator-usage.tsx';
import { PlaygroundPage } from './pages/playground.tsx';
import { SecretsPage } from './pages/secrets.tsx';
import { SessionDetailPage } from './pages/session-detail.tsx';
import { SessionsPage } from './pages/sessions.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { TenantDetailPage } from './pages/tenant-detail.tsx';
import { TenantsPage } from './pages/tenants.tsx';
import { UsagePage } from './pages/usage.tsx';
import { type ConsoleSession, loadSession, SessionContext, signOut } from './session.ts';

// Pages loaded on first visit, so that the initial bundle stays small.
const McpServersPage = lazy(() => import('./pages/mcp-servers.tsx').then((module) => module.McpServersPage));
const McpServerDetailPage = lazy(() =>
  import('./pages/mcp-server-detail.tsx').then((module) => module.McpServerDetailPage),
);
const OpenAiPage = lazy(() => import('./pages/openai.tsx').then((module) => module.OpenAiPage));

const TENANT_NAV = [
  ['/console/playground', 'Playground'],
  ['/console/sessions', 'Sessions'],
  ['/console/agents', 'Agents'],
  ['/console/keys', 'Keys'],
  ['/console/usage', 'Usage'],
  ['/console/mcp-servers', 'MCP servers'],
  ['/console/secrets', 'Secrets'],
  ['/console/openai', 'OpenAI API'],
  ['/console/audit', 'Audit log'],
] as const;

const OPERATOR_NAV = [
  ['/console/tenants', 'Tenants'],
  ['/console/operator/usage', 'Usage'],
  ['/console/operator/audit', 'Audit log'],
  ['/console/operator/health', 'Health'],
] as const;

function Nav({ session }: { session: ConsoleSession }) {
  const { path } = useLocation();
  const items = session.kind === 'operator' ? OPERATOR_NAV : TENANT_NAV;
  return (
    <nav aria-label="Console">
      <ul>
        {items.map(([href, label]) => (
          <li key={href}>
            <a href={href} aria-current={path === href || path.startsWith(`${href}/`) ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Shell({
  session,
  onSignOut,
  children,
}: {
  session: ConsoleSession;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="/console/">
          Enclave
        </a>
        <span class="who">{session.kind === 'operator' ? 'Operator' : `Tenant ${session.tenant_id ?? ''}`}</span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <Nav session={session} />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function Home({ session }: { session: ConsoleSession }) {
  const { route } = useLocation();
  useEffect(() => {
    route(session.kind === 'operator' ? '/console/tenants' : '/console/playground', true);
  }, [session.kind, route]);
  return <Loading />;
}

function Routes({ session }: { session: ConsoleSession }) {
  if (session.kind === 'operator') {
    return (
      <Router>
        <Route path="/console/tenants" component={TenantsPage} />
        <Route path="/console/tenants/:id" component={TenantDetailPage} />
        <Route path="/console/operator/usage" component={OperatorUsagePage} />
        <Route path="/console/operator/audit" component={AuditPage} />
        <Route path="/console/operator/health" component={HealthPage} />
        <Route path="/console" component={() => <Home session={session} />} />
        <Route path="/console/" component={() => <Home session={session} />} />
        <Route default component={() => <NotFound what="This page" />} />
      </Router>
    );
  }
  return (
    <Router>
      <Route path="/console/playground" component={PlaygroundPage} />
      <Route path="/console/sessions" component={SessionsPage} />
      <Route path="/console/sessions/:id" component={SessionDetailPage} />
      <Route path="/console/agents" component={AgentsPage} />
      <Route path="/console/agents/:id" component={AgentDetailPage} />
      <Route path="/console/keys" component={KeysPage} />
      <Route path="/console/usage" component={UsagePage} />
      <Route path="/console/mcp-servers" component={McpServersPage} />
      <Route path="/console/mcp-servers/:id" component={McpServerDetailPage} />
      <Route path="/console/openai" component={OpenAiPage} />
      <Route path="/console/secrets" component={SecretsPage} />
      <Route path="/console/audit" component={TenantAuditPage} />
      <Route path="/console" component={() => <Home session={session} />} />
      <Route path="/console/" component={() => <Home session={session} />} />
      <Route default component={() => <NotFound what="This page" />} />
    </Router>
  );
}

export function App() {
  const [session, setSession] = useState<ConsoleSession | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    setUnauthenticatedHandler(() => setSession(null));
    loadSession().then(setSession, (failure: unknown) =>
      setError(
        failure instanceof ApiError
          ? failure
          : new ApiError({ status: 0, code: 'NETWORK_ERROR', message: String(failure) }),
      ),
    );
    return () => setUnauthenticatedHandler(null);
  }, []);

  if (error)
    return (
      <main id="main" class="center">
        <h1>Enclave console</h1>
        <ErrorBox error={error} />
      </main>
    );
  if (session === undefined)
    return (
      <main id="main" class="center">
        <Loading />
      </main>
    );
  return (
    <LocationProvider scope="/console">
      {session === null ? (
        <SignInPage onSignedIn={setSession} />
      ) : (
        <SessionContext.Provider
          value={{
            session,
            signOut: () => {
              signOut().finally(() => setSession(null));
            },
          }}
        >
          <Shell session={session} onSignOut={() => signOut().finally(() => setSession(null))}>
            <Routes session={session} />
          </Shell>
        </SessionContext.Provider>
      )}
    </LocationProvider>
  );
}
