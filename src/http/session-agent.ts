import { turnConfigOf } from '../core/agent-catalog/turn-config.ts';
import type { AdmissionLimits } from '../core/agents/turn-admission.ts';
import { AppError } from '../core/errors.ts';
import type { TenantConfigVersion } from '../core/tenants/tenant-config.ts';
import type { TenantAccess } from './access.ts';
import type { AppServices } from './app-services.ts';

const UNLIMITED = {
  requestsPerMinute: null,
  concurrentTurns: null,
  tokensPerMinute: null,
  tokensPerDay: null,
  tokensPerMonth: null,
};

/**
 * What a turn on a session runs with: the session's agent (one indexed read, in the tenant of the
 * credential), its config over the tenant's settings, and the limits of tenant, key and agent. A
 * request to an agent with its own requests-per-minute counts against it here (RATE_LIMITED past it).
 */
export async function sessionAgent(
  services: Pick<AppServices, 'storage' | 'admission'>,
  access: TenantAccess,
  sessionId: string,
): Promise<{ agentId: string; config: TenantConfigVersion; limits: AdmissionLimits }> {
  const found = await services.storage.sessionAgent(access.tenantId, sessionId);
  // The same answer the turn itself would give, whether or not the tenant exists.
  if (!found) throw new AppError('SESSION_NOT_FOUND');
  const turn = turnConfigOf(access.config, found.agent);
  if (turn.agentLimits?.requestsPerMinute != null) {
    // The tenant's and the key's requests were counted when the request arrived; only the agent's here.
    await services.admission.countRequest(
      { tenantId: access.tenantId, keyId: null, agentId: turn.agentId },
      { tenant: UNLIMITED, key: null, agent: turn.agentLimits },
    );
  }
  return { agentId: turn.agentId, config: turn.config, limits: { ...access.limits, agent: turn.agentLimits } };
}
