import type { ProviderFetch } from './create-provider-fetch.ts';

/**
 * A fetch that adds `params` to the query of every URL it is called with (a provider's
 * `queryParams`, like Azure's `api-version`). One mechanism for every SDK: only
 * `@ai-sdk/openai-compatible` takes query parameters itself. A parameter the SDK already put in the
 * URL is replaced. Never for Bedrock, whose SigV4 signature covers the URL (the config refuses it).
 */
export function withQueryParams(fetch: ProviderFetch, params: Readonly<Record<string, string>>): ProviderFetch {
  const entries = Object.entries(params);
  return (input, init) => {
    if (typeof input !== 'string' && !(input instanceof URL)) return fetch(input, init);
    const url = new URL(input);
    for (const [name, value] of entries) url.searchParams.set(name, value);
    return fetch(url.href, init);
  };
}
