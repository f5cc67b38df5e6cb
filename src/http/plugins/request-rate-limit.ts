import type { FastifyInstance } from 'fastify';
import type { TurnAdmission } from '../../core/agents/turn-admission.ts';
import type { TenantDirectory } from '../../core/tenants/tenant-directory.ts';

/**
 * Requests per minute, per tenant and per API key, on every route a tenant credential reaches
 * (unknown routes included, so probing for 404s is limited too). Admins and auth-disabled callers
 * name tenants per request and are not counted against them.
 */
export function registerRequestRateLimit(
  app: FastifyInstance,
  options: { admission: TurnAdmission; tenants: TenantDirectory },
): void {
  app.addHook('onRequest', (request, _reply, done) => {
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
      .then(() => done(), done);
  });
}
