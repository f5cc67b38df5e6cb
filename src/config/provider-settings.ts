import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A provider id: what tenant configs name in `model.provider` (`openai`, `anthropic-eu`). */
export const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

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
  });

export type ProviderDefinition = z.infer<typeof providerDefinitionSchema>;

/** The platform credentials of a provider, read from the environment at start. */
export interface ProviderCredentials {
  apiKey?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/** A provider definition with its platform credentials resolved (null: none, tenants must bring a key). */
export type PlatformProvider = ProviderDefinition & { credentials: ProviderCredentials | null };

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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    context.addIssue({ code: 'custom', message: 'is not valid JSON (expected an array of providers)' });
    return z.NEVER;
  }
  const parsed = providerListSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
      context.addIssue({ code: 'custom', message: `${path || 'providers'}: ${issue.message}` });
    }
    return z.NEVER;
  }
  // Credentials are read from the environment by loadConfig (the only reader of process.env).
  return parsed.data.map((definition) => ({ ...definition, credentials: null }));
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
    return Object.freeze({ ...definition, credentials: any ? Object.freeze(credentials) : null });
  });
  return { providers, problems };
}
