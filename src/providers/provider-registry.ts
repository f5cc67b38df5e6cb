import { createHash } from 'node:crypto';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { AppError } from '../core/errors.ts';
import type { TenantConfig } from '../core/tenants/tenant-config.ts';
import { type BreakerState, type CircuitBreaker, createCircuitBreaker } from './circuit-breaker.ts';
import type { ProviderFetch } from './create-provider-fetch.ts';
import { createProviderModel, type ProviderSdks } from './create-provider-model.ts';
import { guardProviderCalls } from './guard-provider-calls.ts';
import { createModelCache } from './model-cache.ts';
import type { ProviderCredentials, ProviderSpec } from './provider-spec.ts';

/** The built-in provider: always there, the default for every tenant. */
const SIMULATED: ProviderSpec = { id: 'simulated', type: 'simulated', credentials: null };

export interface ProviderRegistryOptions {
  /** The operator's providers; an entry with id `simulated` replaces the built-in one (to restrict its models). */
  providers: readonly ProviderSpec[];
  /** The SDKs of those providers' types, from `loadProviderSdks` (the simulated model needs none). */
  sdks: ProviderSdks;
  /** Longest one model call may take (ms), retries included. */
  timeoutMs: number;
  /** Longest a provider connection may take to open (ms). */
  connectTimeoutMs: number;
  /** Retries of a failed call before any output (0: none). */
  maxRetries: number;
  /** Consecutive endpoint failures that open a provider's circuit, and how long it stays open (ms). */
  breaker: { threshold: number; cooldownMs: number };
  /** Told when a provider's circuit changes state (for the log). */
  onBreakerChange?: (provider: string, state: BreakerState) => void;
  /** The plaintext of a tenant secret, or null when it does not exist (the BYOK key). */
  revealSecret(tenantId: string, name: string): Promise<string | null>;
  /** Model instances kept (least recently used dropped first). */
  maxModels?: number;
}

/** Tenant config → AI SDK model, enforcing which providers and models a tenant may use. */
export function createProviderRegistry(options: ProviderRegistryOptions) {
  const providers = new Map<string, ProviderSpec>([[SIMULATED.id, SIMULATED]]);
  for (const spec of options.providers) providers.set(spec.id, spec);
  const cache = createModelCache<LanguageModelV4>(options.maxModels);
  // Made on the first call of a real provider (the simulated model makes no HTTP call). Only when a
  // provider asks for HTTP/2: its connections are kept apart from the HTTP/1.1 ones.
  let fetch: ProviderFetch | null = null;
  let http2Fetch: ProviderFetch | null = null;
  const fetchFor = (spec: ProviderSpec): ProviderFetch | undefined => {
    const createFetch = options.sdks.createFetch;
    if (spec.type === 'simulated' || !createFetch) return undefined;
    if (!spec.http2) {
      fetch ??= createFetch({ connectTimeoutMs: options.connectTimeoutMs });
      return fetch;
    }
    http2Fetch ??= createFetch({ connectTimeoutMs: options.connectTimeoutMs, http2: true });
    return http2Fetch;
  };
  // One breaker per endpoint (provider id and base URL), shared by every tenant and model using it:
  // it tracks the endpoint's health. Only endpoint failures (5xx, timeouts, connection errors) count,
  // never a 4xx or 429 that one tenant's input or key may cause. Per process: each replica has its own.
  const breakers = new Map<string, CircuitBreaker>();
  const breakerOf = (spec: ProviderSpec): CircuitBreaker => {
    const key = `${spec.id} ${spec.baseUrl ?? ''}`;
    let breaker = breakers.get(key);
    if (!breaker) {
      breaker = createCircuitBreaker({
        ...options.breaker,
        onChange: (state) => options.onBreakerChange?.(spec.id, state),
      });
      breakers.set(key, breaker);
    }
    return breaker;
  };
  for (const spec of providers.values()) breakerOf(spec);

  /** The provider the config names, if this tenant may use it with that model; throws otherwise. */
  function check(config: TenantConfig): ProviderSpec {
    const providerId = config.model.provider ?? 'simulated';
    const modelId = config.model.id;
    const spec = providers.get(providerId);
    if (!spec) throw new AppError('MODEL_NOT_ALLOWED', `Provider ${providerId} is not offered by this deployment`);
    if (spec.models && !spec.models.includes(modelId)) {
      throw new AppError('MODEL_NOT_ALLOWED', `Model ${modelId} is not offered by provider ${providerId}`);
    }
    const allowed = config.allowedModels;
    if (allowed && !allowed.includes(`${providerId}:${modelId}`) && !allowed.includes(`${providerId}:*`)) {
      throw new AppError('MODEL_NOT_ALLOWED', `Model ${providerId}:${modelId} is not in this tenant's allowed models`);
    }
    // A provider whose entry sends extra headers may authenticate by them (Azure's `api-key`, a gateway's own).
    if (needsKey(spec) && !config.model.apiKeySecret && !spec.credentials && !hasExtraHeaders(spec)) {
      throw new AppError(
        'PROVIDER_KEY_MISSING',
        `Provider ${providerId} has no platform key: set model.apiKeySecret to the name of a secret holding your key`,
      );
    }
    return spec;
  }

  /** The headers a provider takes from the calling tenant's secrets, or null when it takes none. */
  async function revealSecretHeaders(tenantId: string, spec: ProviderSpec): Promise<Record<string, string> | null> {
    const named = Object.entries(spec.extras?.secretHeaders ?? {});
    if (named.length === 0) return null;
    const headers: Record<string, string> = {};
    for (const [header, name] of named) {
      const value = await options.revealSecret(tenantId, name);
      if (value === null) {
        throw new AppError(
          'PROVIDER_KEY_MISSING',
          `Provider ${spec.id} sends the secret ${name} as header ${header}: store it with PUT /v1/secrets/${name}`,
        );
      }
      // A CR or LF would inject a header; undici would refuse it, and the turn must not blame the provider.
      if (!HEADER_VALUE.test(value)) {
        throw new AppError(
          'PROVIDER_KEY_MISSING',
          `The secret ${name} (header ${header} of provider ${spec.id}) holds characters a header cannot carry`,
        );
      }
      headers[header] = value;
    }
    return headers;
  }

  return {
    check(config: TenantConfig): void {
      check(config);
    },

    /**
     * The models this tenant may call, as `provider:model`: every model of a provider that lists its
     * models, within the tenant's `allowedModels`; the exact entries of `allowedModels`; and the
     * model the config names. A provider that lists no models offers only those named so.
     */
    offered(config: TenantConfig): string[] {
      const allowed = config.allowedModels ?? null;
      const names = new Set<string>();
      const permits = (provider: string, model: string) =>
        !allowed || allowed.includes(`${provider}:${model}`) || allowed.includes(`${provider}:*`);
      for (const spec of providers.values()) {
        for (const model of spec.models ?? []) if (permits(spec.id, model)) names.add(`${spec.id}:${model}`);
      }
      const candidates = [...(allowed ?? []), `${config.model.provider ?? 'simulated'}:${config.model.id}`];
      for (const entry of candidates) {
        const [provider = '', model = ''] = [entry.slice(0, entry.indexOf(':')), entry.slice(entry.indexOf(':') + 1)];
        const spec = providers.get(provider);
        if (model === '*' || !spec || (spec.models && !spec.models.includes(model))) continue;
        if (permits(provider, model)) names.add(entry);
      }
      return [...names].sort();
    },

    /** Each provider's circuit state, by provider id (operator-defined, so a bounded set). */
    breakerStates(): { provider: string; state: BreakerState }[] {
      return [...providers.values()].map((spec) => ({ provider: spec.id, state: breakerOf(spec).state() }));
    },

    /**
     * The guarded model for this tenant's config. A tenant's own key (BYOK) is decrypted on every
     * call and only ever used for that tenant: its cache entry is keyed by tenant and key fingerprint.
     * With a BYOK secret named, the platform key is never a fallback.
     */
    async resolve(tenantId: string, config: TenantConfig): Promise<LanguageModelV4> {
      const spec = check(config);
      const modelId = config.model.id;
      const secretName = needsKey(spec) || spec.type === 'openai-compatible' ? config.model.apiKeySecret : null;
      let credentials: ProviderCredentials | null = spec.credentials;
      let cacheKey = JSON.stringify(['platform', spec.id, modelId]);
      if (secretName) {
        const key = await options.revealSecret(tenantId, secretName);
        if (key === null) {
          throw new AppError(
            'PROVIDER_KEY_MISSING',
            `The secret ${secretName} named by model.apiKeySecret does not exist`,
          );
        }
        credentials = { apiKey: key };
        cacheKey = JSON.stringify(['tenant', tenantId, spec.id, modelId, fingerprint(key)]);
      }
      const secretHeaders = await revealSecretHeaders(tenantId, spec);
      if (secretHeaders) {
        // Headers from this tenant's secrets: the instance is this tenant's, like one built with its key.
        const secrets = fingerprint(JSON.stringify([credentials?.apiKey ?? null, secretHeaders]));
        cacheKey = JSON.stringify(['tenant', tenantId, spec.id, modelId, secrets]);
      }
      const headers = spec.extras ? { ...spec.extras.headers, ...secretHeaders } : undefined;
      return cache.get(cacheKey, () =>
        guardProviderCalls(createProviderModel(spec, modelId, credentials, options.sdks, fetchFor(spec), headers), {
          provider: spec.id,
          timeoutMs: options.timeoutMs,
          connectTimeoutMs: options.connectTimeoutMs,
          maxRetries: options.maxRetries,
          breaker: breakerOf(spec),
        }),
      );
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;

function hasExtraHeaders(spec: ProviderSpec): boolean {
  const extras = spec.extras;
  return !!extras && Object.keys(extras.headers).length + Object.keys(extras.secretHeaders).length > 0;
}

/** Providers that refuse calls without a key; openai-compatible servers may need none. */
function needsKey(spec: ProviderSpec): boolean {
  return spec.type === 'openai' || spec.type === 'anthropic' || spec.type === 'bedrock';
}

/** Printable characters only, as a header value must be. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,4096}$/;

function fingerprint(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}
