import type { FastifyInstance } from 'fastify';
import type { TurnAdmission } from '../../core/agents/turn-admission.ts';
import type { TenantDirectory } from '../../core/tenants/tenant-directory.ts';

/**
 * Requests per minute, per tenant and per API key, on every route a tenant credential reaches
 * (unknown routes included, so probing for 404s is limited too). Admins and auth-disabled callers
 * name tenants per request and are not counted against them. Every response to a tenant with a
 * requests-per-minute limit carries `RateLimit` and `RateLimit-Policy` for the limit with the least
 * left (the tenant's or the key's); an unlimited tenant costs no counter and gets none.
 */
export function registerRequestRateLimit(
  app: FastifyInstance,
  options: { admission: TurnAdmission; tenants: TenantDirectory },
): void {
  app.addHook('onRequest', (request, reply, done) => {
    const principal = request.principal;
    if (principal?.kind !== 'tenant') {
      done();
      return;
    }
    options.tenants
      .get(principal.tenantId)
      .then((view) =>
        options.admission.countRequest(
          { tenantId: principal.tenantId, keyId: principal.keyId },
          { tenant: view.config.config.limits, key: principal.limits },
        ),
      )
      .then((headers) => {
        // Every response of a limited tenant says where it stands, as OpenAI's and LiteLLM's do.
        if (headers) reply.headers(headers);
        done();
      }, done);
  });
}
