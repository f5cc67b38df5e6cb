import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ConsoleSessionView, sameCsrfToken } from '../../auth/console-sessions.ts';
import type { Principal } from '../../core/auth/principal.ts';
import { AppError } from '../../core/errors.ts';
import { consoleCookieOf, isSameOrigin } from '../console-cookie.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; resolved before any route handler runs. */
    principal: Principal;
    /** The console session when the credential is the console cookie, else null. */
    consoleSession: ConsoleSessionView | null;
  }
  interface FastifyContextConfig {
    /** Reachable without a credential (health, readiness, docs). */
    public?: boolean;
  }
}

const OPEN: Principal = { kind: 'open' };

function isPublicRoute(route: string | undefined, prefixes: readonly string[]): boolean {
  if (route === undefined) return false;
  return prefixes.some((prefix) => route === prefix || route.startsWith(`${prefix}/`));
}

/**
 * Resolves `request.principal` for every request. With auth required, every non-public route
 * needs a credential; with auth disabled, requests are `open` unless they carry a credential
 * (so keys can be tried locally).
 */
export function registerAuthentication(
  app: FastifyInstance,
  options: {
    mode: 'required' | 'disabled';
    resolve(authorization: string | undefined): Promise<Principal>;
    /** Route patterns served by plugins whose routes we do not declare (the API reference). */
    publicPrefixes: readonly string[];
    /** Resolves the console cookie (used only when no `Authorization` header is sent). */
    resolveConsoleCookie(cookie: string): Promise<{ principal: Principal; session: ConsoleSessionView }>;
  },
): void {
  app.decorateRequest('principal', null as never);
  app.decorateRequest('consoleSession', null);
  // A callback hook, not an async one: the common paths (public route, auth disabled) stay synchronous.
  app.addHook('onRequest', (request, _reply, done) => {
    const authorization = request.headers.authorization;
    const isPublic =
      request.routeOptions.config?.public === true ||
      // Decided on the matched route pattern, never the raw URL, so no spelling of a path can borrow
      // a public route's exemption.
      isPublicRoute(request.routeOptions.url, options.publicPrefixes);
    const cookie = authorization ? undefined : consoleCookieOf(request);
    if (!isPublic && cookie !== undefined) {
      options.resolveConsoleCookie(cookie).then(
        ({ principal, session }) => {
          request.principal = principal;
          request.consoleSession = session;
          done(csrfFailure(request, session));
        },
        (error: Error) => done(error),
      );
      return;
    }
    if (isPublic || (options.mode === 'disabled' && !authorization)) {
      request.principal = OPEN;
      done();
      return;
    }
    options.resolve(authorization).then(
      (principal) => {
        request.principal = principal;
        done();
      },
      (error: Error) => done(error),
    );
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A request authenticated by the console cookie that changes state must carry the session's
 * `X-CSRF-Token` and come from this server's own pages (Origin / Sec-Fetch-Site). A WebSocket
 * handshake (a GET) must pass the origin check too, since browsers do not apply CORS to it.
 */
function csrfFailure(request: FastifyRequest, session: ConsoleSessionView): AppError | undefined {
  const upgrade = request.headers.upgrade !== undefined;
  if (SAFE_METHODS.has(request.method) && !upgrade) return undefined;
  if (!isSameOrigin(request)) {
    return new AppError('CSRF_REJECTED', 'A console request must come from the console itself (Origin)');
  }
  if (upgrade) return undefined;
  const token = request.headers['x-csrf-token'];
  if (!sameCsrfToken(typeof token === 'string' ? token : undefined, session.csrfToken)) {
    return new AppError('CSRF_REJECTED', 'A console request that changes state needs the session X-CSRF-Token header');
  }
  return undefined;
}
