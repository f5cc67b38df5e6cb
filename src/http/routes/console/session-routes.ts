import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ConsoleSessionView, sameCsrfToken } from '../../../auth/console-sessions.ts';
import { SCOPES } from '../../../core/auth/principal.ts';
import { AppError } from '../../../core/errors.ts';
import type { AppServices } from '../../app-services.ts';
import { clearedCookie, consoleCookieOf, isSameOrigin, sessionCookie } from '../../console-cookie.ts';
import { problems } from '../../schemas/problem.ts';

const consoleSessionSchema = z
  .object({
    kind: z.enum(['tenant', 'operator']),
    tenant_id: z.string().optional().describe('The tenant of a tenant session; absent for an operator'),
    scopes: z.array(z.enum(SCOPES)).describe("The signing-in key's scopes (empty for an operator)"),
    csrf_token: z.string().describe('Send it as X-CSRF-Token on every state-changing request'),
    expires_at: z.string(),
  })
  .meta({ id: 'ConsoleSession' });

const toJson = (session: ConsoleSessionView): z.infer<typeof consoleSessionSchema> => ({
  kind: session.kind,
  ...(session.tenantId ? { tenant_id: session.tenantId } : {}),
  scopes: session.scopes,
  csrf_token: session.csrfToken,
  expires_at: session.expiresAt,
});

/** No response of these routes is ever cached: they carry the CSRF token. */
function noStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
}

/**
 * The web console's sign-in (docs/console.md): a key is exchanged for an httpOnly session cookie;
 * the key itself stays neither in the browser nor on the server. These routes are public (they
 * check the cookie or the key themselves); every other route accepts the cookie as a credential.
 */
export function consoleSessionRoutes(services: AppServices): FastifyPluginAsyncZod {
  const ttlSeconds = Math.floor(services.console.sessionTtlMs / 1000);
  async function current(request: FastifyRequest): Promise<ConsoleSessionView> {
    const cookie = consoleCookieOf(request);
    if (cookie === undefined) {
      throw new AppError('UNAUTHENTICATED', 'Not signed in to the console', {
        details: { reason: 'console-no-cookie' },
      });
    }
    return (await services.consoleSessions.resolve(cookie)).session;
  }
  return async (app) => {
    app.post(
      '/console/api/session',
      {
        config: { public: true },
        schema: {
          tags: ['console'],
          summary: 'Sign in to the web console with an API key or the admin key (sets the session cookie)',
          body: z.object({ key: z.string().min(1).max(16_384) }).strict(),
          response: { 200: consoleSessionSchema, ...problems(401, 403, 422) },
        },
      },
      async (request, reply) => {
        // Login CSRF: a foreign page must not sign the browser in with the attacker's key.
        if (!isSameOrigin(request) && (request.headers.origin || request.headers['sec-fetch-site'])) {
          throw new AppError('CSRF_REJECTED', 'Sign-in must come from the console itself (Origin)');
        }
        const { cookie, session } = await services.consoleSessions.signIn(request.body.key);
        noStore(reply);
        reply.header('set-cookie', sessionCookie(request, cookie, ttlSeconds));
        return toJson(session);
      },
    );
    app.get(
      '/console/api/session',
      {
        config: { public: true },
        schema: {
          tags: ['console'],
          summary: 'The current console session (with its CSRF token), for a page reload',
          response: { 200: consoleSessionSchema, ...problems(401) },
        },
      },
      async (_request, reply) => {
        noStore(reply);
        return toJson(await current(_request));
      },
    );
    app.delete(
      '/console/api/session',
      {
        config: { public: true },
        schema: {
          tags: ['console'],
          summary: 'Sign out: revoke the console session and clear its cookie',
          response: { 204: z.null(), ...problems(403) },
        },
      },
      async (request, reply) => {
        const cookie = consoleCookieOf(request);
        if (cookie !== undefined) {
          // A live session is only ended by its own console (CSRF token and origin); a dead one is just cleared.
          const live = await services.consoleSessions.resolve(cookie).then(
            ({ session }) => session,
            () => null,
          );
          if (live) {
            const token = request.headers['x-csrf-token'];
            if (!isSameOrigin(request) || !sameCsrfToken(typeof token === 'string' ? token : undefined, live.csrfToken))
              throw new AppError('CSRF_REJECTED', 'Sign-out needs the session X-CSRF-Token from the console itself');
            await services.consoleSessions.signOut(cookie);
          }
        }
        reply.header('set-cookie', clearedCookie(request));
        return reply.code(204).send(null);
      },
    );
  };
}
