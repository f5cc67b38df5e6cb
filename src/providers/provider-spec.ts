/**
 * A platform provider as the operator configured it (`ENCLAVE_PROVIDERS`), with its platform
 * credentials read from the environment at start (null: none, every tenant must bring a key).
 */
export interface ProviderSpec {
  id: string;
  type: 'openai' | 'openai-compatible' | 'anthropic' | 'bedrock' | 'simulated';
  baseUrl?: string | undefined;
  /** OpenAI only: the Responses API (default) or Chat Completions. */
  api?: 'chat' | 'responses' | undefined;
  /** Bedrock only. */
  region?: string | undefined;
  /** Multiplex calls over HTTP/2 (h2c to an `http://` baseUrl); see `ENCLAVE_PROVIDERS` in docs/providers.md. */
  http2?: boolean | undefined;
  /** The model ids tenants may use; undefined allows any. */
  models?: readonly string[] | undefined;
  credentials: ProviderCredentials | null;
  /** Extra headers and query parameters of every call (`headers`, `queryParams`); null or absent: none. */
  extras?: ProviderRequestExtras | null | undefined;
}

/** A provider's extra headers and query parameters, `env` values read at start. */
export interface ProviderRequestExtras {
  /** Sent as they are (literal values and values read from the environment). */
  headers: Readonly<Record<string, string>>;
  /** Header name → the name of the calling tenant's secret whose value it carries. */
  secretHeaders: Readonly<Record<string, string>>;
  /** Appended to every call's URL. */
  queryParams: Readonly<Record<string, string>>;
}

/** An API key, or for Bedrock either an API key or static SigV4 credentials. */
export interface ProviderCredentials {
  apiKey?: string | undefined;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
}
