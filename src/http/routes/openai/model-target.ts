import { gatewayConfig, type ModelTarget, resolveModelName } from '../../../core/agent-catalog/model-name.ts';
import { turnConfigOf } from '../../../core/agent-catalog/turn-config.ts';
import type { AdmissionLimits } from '../../../core/agents/turn-admission.ts';
import type { TenantConfigVersion } from '../../../core/tenants/tenant-config.ts';
import type { TenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';

const UNLIMITED = {
  requestsPerMinute: null,
  concurrentTurns: null,
  tokensPerMinute: null,
  tokensPerDay: null,
  tokensPerMonth: null,
};

/** What a turn named by an OpenAI `model` runs with: its agent (or gateway) config and limits. */
export interface ModelTurn {
  target: ModelTarget;
  /** The agent recorded on the turn and its usage (`default` for a gateway call, charged to the tenant). */
  agentId: string;
  config: TenantConfigVersion;
  limits: AdmissionLimits;
}

/**
 * Resolves `model` in the credential's tenant only (MODEL_NOT_FOUND otherwise) and gives the turn
 * its config: the agent's over the tenant's settings, or for `provider/model` the tenant's settings
 * with that model and no prompt or tools. An agent with its own requests-per-minute counts here.
 */
export async function modelTurn(
  services: Pick<AppServices, 'storage' | 'admission' | 'checkModel'>,
  access: TenantAccess,
  model: string,
): Promise<ModelTurn> {
  const target = await resolveModelName(
    { agents: services.storage, ...(services.checkModel ? { checkModel: services.checkModel } : {}) },
    access.tenantId,
    access.config,
    model,
  );
  if (target.kind === 'model') {
    const config = { ...access.config, config: gatewayConfig(access.config.config, target) };
    return { target, agentId: 'default', config, limits: { ...access.limits, agent: null } };
  }
  const turn = turnConfigOf(access.config, target.agent);
  if (turn.agentLimits?.requestsPerMinute != null) {
    await services.admission.countRequest(
      { tenantId: access.tenantId, keyId: null, agentId: turn.agentId },
      { tenant: UNLIMITED, key: null, agent: turn.agentLimits },
    );
  }
  return {
    target,
    agentId: turn.agentId,
    config: turn.config,
    limits: { ...access.limits, agent: turn.agentLimits },
  };
}
