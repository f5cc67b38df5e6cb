import type { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import type { createAnthropic } from '@ai-sdk/anthropic';
import type { createOpenAI } from '@ai-sdk/openai';
import type { createOpenAICompatible, OpenAICompatibleChatLanguageModel } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { createProviderFetch, ProviderFetch } from './create-provider-fetch.ts';
import type { LeanChat } from './openai-compatible/lean-chat.ts';
import type { ProviderCredentials, ProviderSpec } from './provider-spec.ts';
import { createSimulatedModel } from './simulated/simulated-model.ts';
import { withQueryParams } from './with-query-params.ts';

/**
 * The vendor SDKs (and the undici-based provider fetch) this deployment's providers need, loaded
 * once at start by `loadProviderSdks`. Each weighs 5–10 MB of heap and 20–30 MB of RSS: a
 * deployment that declares no provider of a type never loads its SDK, and the simulated model needs none.
 */
export interface ProviderSdks {
  openai?: typeof createOpenAI;
  'openai-compatible'?: typeof createOpenAICompatible;
  anthropic?: typeof createAnthropic;
  bedrock?: typeof createAmazonBedrock;
  /** Present when any provider makes HTTP calls (every type but simulated). */
  createFetch?: typeof createProviderFetch;
  /** With `openai-compatible`: its chat models stream without the package's stream stages. */
  leanChat?: LeanChat;
}

type VendorType = Exclude<ProviderSpec['type'], 'simulated'>;

/** How each SDK is imported; a test passes its own to see which are asked for. */
export type ProviderSdkImporters = { [Type in VendorType]: () => Promise<NonNullable<ProviderSdks[Type]>> } & {
  createFetch: () => Promise<NonNullable<ProviderSdks['createFetch']>>;
  leanChat?: () => Promise<LeanChat>;
};

export const PROVIDER_SDK_IMPORTERS: ProviderSdkImporters = {
  openai: async () => (await import('@ai-sdk/openai')).createOpenAI,
  'openai-compatible': async () => (await import('@ai-sdk/openai-compatible')).createOpenAICompatible,
  anthropic: async () => (await import('@ai-sdk/anthropic')).createAnthropic,
  bedrock: async () => (await import('@ai-sdk/amazon-bedrock')).createAmazonBedrock,
  createFetch: async () => (await import('./create-provider-fetch.ts')).createProviderFetch,
  leanChat: async () => (await import('./openai-compatible/lean-chat.ts')).loadLeanChat(),
};

/** Imports the SDKs of the given provider types (duplicates and `simulated` are fine), and nothing else. */
export async function loadProviderSdks(
  types: Iterable<ProviderSpec['type']>,
  importers: ProviderSdkImporters = PROVIDER_SDK_IMPORTERS,
): Promise<ProviderSdks> {
  const vendors = new Set([...types].filter((type): type is VendorType => type !== 'simulated'));
  const sdks: ProviderSdks = {};
  await Promise.all([
    ...[...vendors].map(async (type) => {
      Object.assign(sdks, { [type]: await importers[type]() });
    }),
    ...(vendors.size > 0 ? [importers.createFetch().then((createFetch) => Object.assign(sdks, { createFetch }))] : []),
    ...(vendors.has('openai-compatible') && importers.leanChat
      ? [importers.leanChat().then((leanChat) => Object.assign(sdks, { leanChat }))]
      : []),
  ]);
  return sdks;
}

/** The loaded SDK of a type; not loaded means the provider was not declared at start, a bug. */
function sdkOf<Type extends VendorType>(sdks: ProviderSdks, type: Type): NonNullable<ProviderSdks[Type]> {
  const sdk = sdks[type];
  if (!sdk) throw new Error(`the ${type} provider SDK was not loaded at start`);
  return sdk as NonNullable<ProviderSdks[Type]>;
}

/**
 * Builds the AI SDK model for one provider, model id and set of credentials (the platform's or a
 * tenant's own). Credentials are always passed explicitly: the SDKs would otherwise fall back to
 * their environment variables (OPENAI_API_KEY, AWS_*), and a tenant without a key must never
 * silently run on whatever key the process environment holds. `fetch`, when given, makes every
 * HTTP call of the model (the registry passes one with a connect timeout). `sdks` must hold the
 * SDK of `spec.type` (see `loadProviderSdks`).
 */
export function createProviderModel(
  spec: ProviderSpec,
  modelId: string,
  credentials: ProviderCredentials | null,
  sdks: ProviderSdks,
  fetch?: ProviderFetch,
  /** Extra headers of every call (the provider's `headers`, tenant secrets resolved). */
  headers?: Record<string, string>,
): Exclude<LanguageModel, string> {
  const baseURL = spec.baseUrl;
  const apiKey = credentials?.apiKey;
  const queryParams = spec.extras?.queryParams ?? {};
  const callFetch = fetch && Object.keys(queryParams).length > 0 ? withQueryParams(fetch, queryParams) : fetch;
  const withFetch = {
    ...(callFetch ? { fetch: callFetch } : {}),
    ...(headers && Object.keys(headers).length > 0 ? { headers } : {}),
  };
  switch (spec.type) {
    case 'simulated':
      return createSimulatedModel(modelId);
    case 'openai': {
      const openai = sdkOf(sdks, 'openai')({ apiKey: apiKey ?? '', ...(baseURL ? { baseURL } : {}), ...withFetch });
      return spec.api === 'chat' ? openai.chat(modelId) : openai.responses(modelId);
    }
    case 'openai-compatible': {
      // A local server (vLLM, Ollama) may need no key: then no Authorization header is sent.
      const model = sdkOf(
        sdks,
        'openai-compatible',
      )({
        name: spec.id,
        baseURL: baseURL ?? '',
        includeUsage: true,
        ...withFetch,
        ...(apiKey ? { apiKey } : {}),
      }).chatModel(modelId);
      return sdks.leanChat ? sdks.leanChat(model as OpenAICompatibleChatLanguageModel) : model;
    }
    case 'anthropic':
      return sdkOf(sdks, 'anthropic')({ apiKey: apiKey ?? '', ...(baseURL ? { baseURL } : {}), ...withFetch })(modelId);
    case 'bedrock':
      return sdkOf(
        sdks,
        'bedrock',
      )({
        region: spec.region,
        ...(baseURL ? { baseURL } : {}),
        ...withFetch,
        ...(apiKey
          ? { apiKey }
          : {
              // An empty apiKey keeps the SDK from reading AWS_BEARER_TOKEN_BEDROCK; SigV4 signs instead.
              apiKey: '',
              accessKeyId: credentials?.accessKeyId ?? '',
              secretAccessKey: credentials?.secretAccessKey ?? '',
              ...(credentials?.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
            }),
      })(modelId);
  }
}
