import type { FastifyInstance } from 'fastify';
import type { Principal } from '../../core/auth/principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; resolved before any route handler runs. */
    principal: Principal;
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
  },
): void {
  app.decorateRequest('principal', null as never);
  // A callback hook, not an async one: the common paths (public route, auth disabled) stay synchronous.
  app.addHook('onRequest', (request, _reply, done) => {
    const authorization = request.headers.authorization;
    const isPublic =
      request.routeOptions.config?.public === true ||
      // Decided on the matched route pattern, never the raw URL, so no spelling of a path can borrow
      // a public route's exemption.
      isPublicRoute(request.routeOptions.url, options.publicPrefixes);
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
