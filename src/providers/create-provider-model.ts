import { createAmazonBedrock } from '@ai-sdk/amazon-bedrock';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import type { ProviderFetch } from './create-provider-fetch.ts';
import type { ProviderCredentials, ProviderSpec } from './provider-spec.ts';
import { createSimulatedModel } from './simulated/simulated-model.ts';
import { withQueryParams } from './with-query-params.ts';

/**
 * Builds the AI SDK model for one provider, model id and set of credentials (the platform's or a
 * tenant's own). Credentials are always passed explicitly: the SDKs would otherwise fall back to
 * their environment variables (OPENAI_API_KEY, AWS_*), and a tenant without a key must never
 * silently run on whatever key the process environment holds. `fetch`, when given, makes every
 * HTTP call of the model (the registry passes one with a connect timeout).
 */
export function createProviderModel(
  spec: ProviderSpec,
  modelId: string,
  credentials: ProviderCredentials | null,
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
      const openai = createOpenAI({ apiKey: apiKey ?? '', ...(baseURL ? { baseURL } : {}), ...withFetch });
      return spec.api === 'chat' ? openai.chat(modelId) : openai.responses(modelId);
    }
    case 'openai-compatible':
      // A local server (vLLM, Ollama) may need no key: then no Authorization header is sent.
      return createOpenAICompatible({
        name: spec.id,
        baseURL: baseURL ?? '',
        includeUsage: true,
        ...withFetch,
        ...(apiKey ? { apiKey } : {}),
      }).chatModel(modelId);
    case 'anthropic':
      return createAnthropic({ apiKey: apiKey ?? '', ...(baseURL ? { baseURL } : {}), ...withFetch })(modelId);
    case 'bedrock':
      return createAmazonBedrock({
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
