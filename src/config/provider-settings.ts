import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseJsonList } from './json-list.ts';

/** A provider id: what tenant configs name in `model.provider` (`openai`, `anthropic-eu`). */
export const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** Header names the HTTP client or the SDK owns: a provider entry must not set them. */
const RESERVED_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'content-type',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'accept-encoding',
]);
/**
 * Header names whose values are credentials (a `-`-separated part like `key`, `token`,
 * `authorization`): never written inline, only as `env` or `secret`.
 */
const CREDENTIAL_HEADER = /(^|[-_])(authorization|apikey|key|token|secret|cookie|password|signature)($|[-_])/i;
/** Printable characters only: a CR or LF would let a value inject a header of its own. */
export const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,4096}$/;

const envReference = z.object({ env: envName }).strict();
/** The calling tenant's secret of that name (a tenant secret name, as in `model.apiKeySecret`). */
const secretReference = z
  .object({ secret: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'must be a secret name') })
  .strict();
const literalValue = z.string().regex(HEADER_VALUE, 'must be printable text of at most 4096 characters');

/**
 * An extra header on every call to the provider: a literal value (for what is no secret, like
 * `x-portkey-provider`), `{ "env": NAME }` (read once at start) or `{ "secret": name }` (the calling
 * tenant's secret, read on each turn and sent for that tenant only).
 */
const headerValueSchema = z.union([literalValue, envReference, secretReference]);
/** An extra query parameter on every call (Azure's `api-version`): a literal value or `{ "env": NAME }`. */
const queryValueSchema = z.union([z.string().max(1024), envReference]);

export type ProviderHeaderValue = z.infer<typeof headerValueSchema>;

/**
 * One platform provider, as the operator writes it in `ENCLAVE_PROVIDERS` (JSON) or in the file
 * `ENCLAVE_PROVIDERS_FILE`. Keys are never written here: `apiKeyEnv` (and for Bedrock the
 * `*Env` fields) name the environment variables that hold them, read once at start.
 */
export const providerDefinitionSchema = z
  .object({
    id: z.string().regex(PROVIDER_ID_PATTERN, 'must match ^[a-z][a-z0-9_-]{0,31}$'),
    type: z.enum(['openai', 'openai-compatible', 'anthropic', 'bedrock', 'simulated']),
    /** The API's base URL (with its version path, e.g. `https://api.openai.com/v1`); required for openai-compatible. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Environment variable holding the platform key; unset means tenants must bring their own (BYOK). */
    apiKeyEnv: envName.optional(),
    /** OpenAI only: the Responses API (default) or Chat Completions. */
    api: z.enum(['chat', 'responses']).optional(),
    /** Bedrock only: the AWS region (required). */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region like us-east-1')
      .optional(),
    /** Bedrock only: environment variables holding static SigV4 credentials (instead of an API key). */
    accessKeyIdEnv: envName.optional(),
    secretAccessKeyEnv: envName.optional(),
    sessionTokenEnv: envName.optional(),
    /**
     * Multiplex calls over HTTP/2: prior-knowledge cleartext HTTP/2 (h2c) to an `http://` baseUrl,
     * HTTP/2 offered first to an `https://` one (which otherwise picks by ALPN as the server prefers).
     */
    http2: z.boolean().optional(),
    /** The model ids tenants may use with this provider; unset allows any. */
    models: z.array(z.string().min(1).max(128)).min(1).optional(),
    /** Extra headers on every call (a gateway's routing headers, Azure's `api-key`). */
    headers: z.record(z.string().regex(HEADER_NAME, 'must be an HTTP header name'), headerValueSchema).optional(),
    /** Extra query parameters on every call (Azure's `api-version`). */
    queryParams: z.record(z.string().min(1).max(128), queryValueSchema).optional(),
  })
  .strict()
  .superRefine((definition, context) => {
    const problem = (message: string) => context.addIssue({ code: 'custom', message: `${definition.id}: ${message}` });
    if (definition.type === 'openai-compatible' && !definition.baseUrl) problem('openai-compatible needs baseUrl');
    if (definition.type === 'bedrock' && !definition.region) problem('bedrock needs region');
    if (definition.api && definition.type !== 'openai') problem('api applies to type openai only');
    if (
      definition.type !== 'bedrock' &&
      (definition.region || definition.accessKeyIdEnv || definition.secretAccessKeyEnv)
    )
      problem('region and AWS credentials apply to type bedrock only');
    if (!definition.accessKeyIdEnv !== !definition.secretAccessKeyEnv)
      problem('set both accessKeyIdEnv and secretAccessKeyEnv, or neither');
    if (definition.apiKeyEnv && definition.accessKeyIdEnv) problem('set apiKeyEnv or AWS credentials, not both');
    for (const [name, value] of Object.entries(definition.headers ?? {})) {
      if (RESERVED_HEADERS.has(name.toLowerCase())) problem(`headers.${name} is set by the HTTP client`);
      if (typeof value === 'string' && CREDENTIAL_HEADER.test(name))
        problem(`headers.${name} looks like a credential: name it with {"env": …} or {"secret": …}, never inline`);
    }
    // SigV4 signs the URL before the HTTP client adds anything to it.
    if (definition.type === 'bedrock' && definition.queryParams) problem('queryParams do not apply to type bedrock');
    if (definition.type === 'simulated' && (definition.headers || definition.queryParams))
      problem('headers and queryParams do not apply to type simulated');
  });

export type ProviderDefinition = z.infer<typeof providerDefinitionSchema>;

/** The platform credentials of a provider, read from the environment at start. */
export interface ProviderCredentials {
  apiKey?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/**
 * What a provider's calls carry beyond the key: headers and query parameters with their `env`
 * values read, and the headers taken from the calling tenant's secrets (header name → secret name).
 */
export interface ProviderRequestExtras {
  headers: Readonly<Record<string, string>>;
  secretHeaders: Readonly<Record<string, string>>;
  queryParams: Readonly<Record<string, string>>;
}

/** A provider definition with its platform credentials resolved (null: none, tenants must bring a key). */
export type PlatformProvider = ProviderDefinition & {
  credentials: ProviderCredentials | null;
  /** Null when the entry sets neither `headers` nor `queryParams`. */
  extras?: ProviderRequestExtras | null;
};

const providerListSchema = z.array(providerDefinitionSchema).superRefine((list, context) => {
  const seen = new Set<string>();
  for (const definition of list) {
    if (seen.has(definition.id))
      context.addIssue({ code: 'custom', message: `duplicate provider id ${definition.id}` });
    seen.add(definition.id);
  }
});

/** Parses and validates a JSON provider list; issues name the entry and field, never a value. */
function parseProviderList(text: string, context: z.RefinementCtx): PlatformProvider[] {
  const definitions = parseJsonList(text, context, providerListSchema, 'providers');
  // Credentials are read from the environment by loadConfig (the only reader of process.env).
  return definitions === z.NEVER ? z.NEVER : definitions.map((definition) => ({ ...definition, credentials: null }));
}

/** `ENCLAVE_PROVIDERS`: the JSON list itself. */
export const providersJsonSchema = z.string().transform(parseProviderList);

/** `ENCLAVE_PROVIDERS_FILE`: a path to a file holding the JSON list. */
export const providersFileSchema = z.string().transform((path, context) => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    context.addIssue({ code: 'custom', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code}` });
    return z.NEVER;
  }
  return parseProviderList(text, context);
});

/**
 * Reads each provider's key variables from `env`. Returns the providers with credentials, or the
 * problems (a named variable that is unset); values never appear in a message.
 */
export function resolveProviderCredentials(
  definitions: readonly ProviderDefinition[],
  env: Record<string, string | undefined>,
): { providers: PlatformProvider[]; problems: string[] } {
  const problems: string[] = [];
  const read = (definition: ProviderDefinition, name: string | undefined) => {
    if (name === undefined) return undefined;
    const value = env[name];
    if (value === undefined || value === '') problems.push(`${definition.id}: ${name} is not set`);
    return value || undefined;
  };
  const providers = definitions.map((definition): PlatformProvider => {
    const credentials: ProviderCredentials = {};
    const apiKey = read(definition, definition.apiKeyEnv);
    const accessKeyId = read(definition, definition.accessKeyIdEnv);
    const secretAccessKey = read(definition, definition.secretAccessKeyEnv);
    const sessionToken = read(definition, definition.sessionTokenEnv);
    if (apiKey) credentials.apiKey = apiKey;
    if (accessKeyId && secretAccessKey) Object.assign(credentials, { accessKeyId, secretAccessKey });
    if (sessionToken) credentials.sessionToken = sessionToken;
    const any = Object.keys(credentials).length > 0;
    const extras = resolveExtras(definition, (name) => read(definition, name), problems);
    return Object.freeze({
      ...definition,
      credentials: any ? Object.freeze(credentials) : null,
      ...(extras ? { extras } : {}),
    });
  });
  return { providers, problems };
}

/** Reads the `env` values of a provider's headers and query parameters; a value that is no valid header is a problem. */
function resolveExtras(
  definition: ProviderDefinition,
  read: (name: string) => string | undefined,
  problems: string[],
): ProviderRequestExtras | null {
  if (!definition.headers && !definition.queryParams) return null;
  const headers: Record<string, string> = {};
  const secretHeaders: Record<string, string> = {};
  const queryParams: Record<string, string> = {};
  for (const [name, value] of Object.entries(definition.headers ?? {})) {
    if (typeof value === 'string') headers[name] = value;
    else if ('secret' in value) secretHeaders[name] = value.secret;
    else {
      const resolved = read(value.env);
      if (resolved !== undefined && !HEADER_VALUE.test(resolved))
        problems.push(`${definition.id}: ${value.env} (headers.${name}) holds characters a header cannot carry`);
      else if (resolved !== undefined) headers[name] = resolved;
    }
  }
  for (const [name, value] of Object.entries(definition.queryParams ?? {})) {
    const resolved = typeof value === 'string' ? value : read(value.env);
    if (resolved !== undefined) queryParams[name] = resolved;
  }
  return Object.freeze({
    headers: Object.freeze(headers),
    secretHeaders: Object.freeze(secretHeaders),
    queryParams: Object.freeze(queryParams),
  });
}
