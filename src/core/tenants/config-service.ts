import { checkTools } from '../agent-catalog/check-tools.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Storage } from '../ports.ts';
import type { SecretService } from '../secrets/secret-service.ts';
import {
  DEFAULT_TENANT_CONFIG,
  JWT_INLINE_SECRET_NAME,
  TENANT_EDITABLE_FIELDS,
  type TenantConfig,
  type TenantConfigVersion,
  tenantConfigSchema,
} from './tenant-config.ts';
import type { TenantDirectory } from './tenant-directory.ts';

/**
 * Versioned tenant config: every change and every rollback appends a version, so each assistant
 * message can name the exact config that produced it.
 */
export function createConfigService({
  storage,
  tenants,
  checkModel,
  secrets,
  toolNames,
  acceptsTool,
}: {
  storage: Storage;
  tenants: TenantDirectory;
  /**
   * The encrypted secrets store, where a JWT signing secret given inline is kept (the config keeps
   * its name). Without it, or without a master key, a new inline secret is refused.
   */
  secrets?: Pick<SecretService, 'put' | 'configured'>;
  /**
   * Throws MODEL_NOT_ALLOWED or PROVIDER_KEY_MISSING when the config's model is not one this
   * tenant may use (platform providers, their model lists, the tenant's allowedModels).
   */
  checkModel?: (config: TenantConfig) => void;
  /** The tools a config may name (UNKNOWN_TOOL otherwise); absent accepts any name. */
  toolNames?: () => readonly string[];
  /** Also accepts a name no list holds in advance (a platform MCP server's tool). */
  acceptsTool?: (name: string) => boolean;
}) {
  async function save(
    tenantId: string,
    config: TenantConfig,
    actor: string,
    previous: TenantConfig | null,
  ): Promise<TenantConfigVersion> {
    // Checked only when the model or the allowlist changes, so an unrelated edit (a prompt) still
    // works after an operator narrows the list; the turn itself is refused then.
    if (!previous || !sameModel(previous, config)) checkModel?.(config);
    // Checked only when the tools change, for the same reason.
    if (!previous || JSON.stringify(previous.tools) !== JSON.stringify(config.tools)) {
      checkTools(config.tools, toolNames?.(), acceptsTool);
    }
    const saved = await storage.appendTenantConfig(tenantId, await sealJwtSecret(tenantId, config, previous), actor);
    tenants.invalidate(tenantId);
    return saved;
  }

  /**
   * A JWT signing secret never stays in a config: it goes into the secrets store (sealed under the
   * tenant's data key) as `jwt.secret`, and the config names it. Versions that named `jwt.secret`
   * before then use the new value, so a rollback never revives a rotated-out secret. The one
   * exception is a legacy inline secret carried over unchanged on a server without a master key:
   * it keeps working as it is until the server can move it (`moveJwtSecrets`).
   */
  async function sealJwtSecret(tenantId: string, config: TenantConfig, previous: TenantConfig | null) {
    const secret = config.jwt?.secret;
    if (!config.jwt || secret === undefined) return config;
    try {
      if (!secrets) throw new AppError('SECRETS_NOT_CONFIGURED');
      await secrets.put(tenantId, JWT_INLINE_SECRET_NAME, secret);
    } catch (error) {
      const carriedOver = previous?.jwt?.secret === secret;
      if (carriedOver && isAppError(error) && error.code === 'SECRETS_NOT_CONFIGURED') return config;
      throw error;
    }
    const { secret: _moved, ...trust } = config.jwt;
    return { ...config, jwt: { ...trust, secretName: JWT_INLINE_SECRET_NAME } };
  }

  return {
    current: (tenantId: string) => storage.getTenantConfig(tenantId),

    /**
     * Merges `patch` over the current config and validates the result. A tenant may change only
     * its agent settings; limits and JWT trust are the operator's (`operator: true`).
     */
    async update(tenantId: string, given: Record<string, unknown>, options: { actor: string; operator: boolean }) {
      const patch = camelCaseKeys(given);
      // Named as the caller spelled them.
      const unknown = Object.keys(given).filter((key) => !(camelCase(key) in tenantConfigSchema.shape));
      if (unknown.length > 0) {
        throw new AppError('VALIDATION_FAILED', `Unknown config field: ${unknown.join(', ')}`, {
          details: { unknown, valid: Object.keys(tenantConfigSchema.shape) },
        });
      }
      if (!options.operator) {
        const forbidden = Object.keys(patch).filter(
          (key) => !(TENANT_EDITABLE_FIELDS as readonly string[]).includes(key),
        );
        if (forbidden.length > 0) {
          throw new AppError('INSUFFICIENT_SCOPE', `Only an operator may change: ${forbidden.join(', ')}`);
        }
      }
      const { config } = await storage.getTenantConfig(tenantId);
      return save(tenantId, validateConfig({ ...config, ...patch }), options.actor, config);
    },

    /** Checks a config patch against the defaults without storing it (before a tenant exists). */
    validate: (patch: Record<string, unknown>) => {
      const config = validateConfig({ ...DEFAULT_TENANT_CONFIG, ...camelCaseKeys(patch) });
      checkModel?.(config);
      // Refused before the tenant exists, not after: an inline JWT secret needs the secrets store.
      if (config.jwt?.secret !== undefined && !secrets?.configured) throw new AppError('SECRETS_NOT_CONFIGURED');
      checkTools(config.tools, toolNames?.(), acceptsTool);
      return config;
    },

    /**
     * Makes an earlier version current again, as a new version. A tenant rolls back only its own
     * agent settings: the operator's fields (limits, JWT trust) stay as they are now, so a rollback
     * can never lift a limit or revive a rotated-out signing secret.
     */
    async rollback(tenantId: string, version: number, options: { actor: string; operator: boolean }) {
      const earlier = await storage.getTenantConfigVersion(tenantId, version);
      if (!earlier) throw new AppError('CONFIG_VERSION_NOT_FOUND');
      const { config: current } = await storage.getTenantConfig(tenantId);
      if (options.operator) return save(tenantId, earlier.config, options.actor, current);
      const restored: TenantConfig = { ...current };
      for (const field of TENANT_EDITABLE_FIELDS) (restored as Record<string, unknown>)[field] = earlier.config[field];
      return save(tenantId, restored, options.actor, current);
    },

    versions: (tenantId: string, options: { limit: number; beforeVersion: number | null }) =>
      storage.listTenantConfigs(tenantId, options),
  };
}

export type ConfigService = ReturnType<typeof createConfigService>;

function validateConfig(candidate: Record<string, unknown>): TenantConfig {
  const parsed = tenantConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    const summary = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
    throw new AppError('VALIDATION_FAILED', summary.join('; '));
  }
  return parsed.data;
}

/** Whether two configs name the same model, key secret and allowlist (stored configs may lack the newer fields). */
function sameModel(a: TenantConfig, b: TenantConfig): boolean {
  const key = (config: TenantConfig) =>
    JSON.stringify([
      config.model.provider ?? 'simulated',
      config.model.id,
      config.model.apiKeySecret ?? null,
      config.allowedModels ?? null,
    ]);
  return key(a) === key(b);
}

/**
 * The API's snake_case field names (`system_prompt`, `model.api_key_secret`) as the stored
 * camelCase ones; camelCase names, which `/v1/config` has always taken, pass unchanged.
 */
export function camelCaseKeys(value: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const converted: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // A config is at most a few levels deep (model, limits, jwt): deeper values are left as sent,
    // for validation to refuse, so a hostile body nested thousands deep cannot exhaust the stack.
    const next =
      depth < CAMEL_CASE_MAX_DEPTH && inner !== null && typeof inner === 'object' && !Array.isArray(inner)
        ? camelCaseKeys(inner as Record<string, unknown>, depth + 1)
        : inner;
    // Defined, not assigned: a `__proto__` key stays a plain (unknown, refused) field.
    Object.defineProperty(converted, camelCase(key), {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return converted;
}

const CAMEL_CASE_MAX_DEPTH = 4;

/** `system_prompt` → `systemPrompt`; a camelCase name stays as it is. */
function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}
