import { z } from 'zod';
import { SCOPES } from '../auth/principal.ts';
import { SECRET_NAME_PATTERN } from '../secrets/secret-service.ts';
import { SESSION_CONCURRENCY } from '../turns/session-lock.ts';
import { assertResponseLanguage } from './response-language.ts';

const positive = z.number().int().positive();

/** Limits of a tenant or of one API key; `null` means unlimited. */
export const limitSettingsSchema = z
  .object({
    requestsPerMinute: positive.nullable().default(null),
    concurrentTurns: positive.nullable().default(null),
    tokensPerMinute: positive.nullable().default(null),
    tokensPerDay: positive.nullable().default(null),
    tokensPerMonth: positive.nullable().default(null),
  })
  .strict();

export type LimitSettings = z.infer<typeof limitSettingsSchema>;

/**
 * Secret names under `jwt.` hold JWT signing secrets: only an operator may write or delete them,
 * and a model's `apiKeySecret` may not name one (it would be sent to a provider).
 */
export const JWT_SECRET_PREFIX = 'jwt.';
/** Where a signing secret given inline (`jwt: {secret}`) is kept, in the encrypted secrets store. */
export const JWT_INLINE_SECRET_NAME = 'jwt.secret';
const JWT_SECRET_NAME_PATTERN = /^jwt\.[a-z0-9_.-]{1,60}$/;

/**
 * Trust for JWTs that name this tenant: an HS256 secret or a JWKS URL, with optional issuer and
 * audience. The secret lives in the encrypted secrets store and the config holds only its name
 * (`secretName`, under `jwt.`). A `secret` given inline is moved there when the config is saved;
 * a stored config still holding one (written before this, on a server without a master key) keeps
 * working until the server moves it (`moveJwtSecrets`, at start, with ENCLAVE_MASTER_KEY).
 */
export const jwtTrustSchema = z
  .object({
    secret: z.string().min(32).optional(),
    secretName: z.string().regex(JWT_SECRET_NAME_PATTERN, 'must be a secret name starting with jwt.').optional(),
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    issuer: z.string().min(1).optional(),
    audience: z.string().min(1).optional(),
    clockSkewSeconds: z.number().int().min(0).max(300).optional(),
    claims: z
      .object({ tenant: z.string().min(1), user: z.string().min(1), scopes: z.string().min(1) })
      .partial()
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (trust) => [trust.secret, trust.secretName, trust.jwksUrl].filter((value) => value !== undefined).length === 1,
    'set exactly one of secret, secretName or jwksUrl',
  );

/** An agent's MCP servers: a server name and optionally which of its tools (docs/tools.md). */
export const mcpServerSelectionsSchema = z
  .array(
    z
      .object({
        server: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be an MCP server name'),
        tools: z
          .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
          .max(256)
          .nullable()
          .default(null),
      })
      .strict(),
  )
  .max(16)
  .refine((list) => new Set(list.map((item) => item.server)).size === list.length, 'each server at most once');

/** A tenant's agent configuration. Every change creates a new version; history is never rewritten. */
export const tenantConfigSchema = z
  .object({
    systemPrompt: z.string().max(20_000).nullable().default(null),
    /**
     * The model: a platform provider's id (missing means `simulated`, as every stored config before
     * providers existed), the model id, and optionally the NAME of a tenant secret holding the
     * tenant's own provider key (BYOK). The key itself never appears in a config.
     */
    model: z
      .object({
        provider: z
          .string()
          .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a provider id')
          .default('simulated'),
        id: z.string().min(1).max(128),
        apiKeySecret: z
          .string()
          .regex(SECRET_NAME_PATTERN, 'must be a secret name')
          .refine((name) => !name.startsWith(JWT_SECRET_PREFIX), 'must not name a JWT signing secret')
          .nullable()
          .optional(),
      })
      .strict()
      .default({ provider: 'simulated', id: 'simulated-1' }),
    /** Response language: a BCP 47 primary tag in RESPONSE_LANGUAGES; null leaves it to the model. */
    language: z
      .string()
      .refine((tag) => {
        // Thrown rather than reported as an issue, so the caller answers with the stable
        // UNSUPPORTED_LANGUAGE code instead of a generic validation failure.
        assertResponseLanguage(tag);
        return true;
      })
      .nullable()
      .default(null),
    // A built-in's name (`current_time`), or a platform MCP server's tool: `<server>__<tool>` or `<server>__*`.
    tools: z
      .array(
        z
          .string()
          .regex(
            /^([a-z][a-z0-9_]{0,63}|[a-z][a-z0-9-]{0,31}__([A-Za-z0-9_-]{1,64}|\*))$/,
            'must be a tool name (current_time, or <server>__<tool> of a platform MCP server)',
          ),
      )
      .max(64)
      .default(['current_time']),
    contextBudgetTokens: z.number().int().min(100).max(1_000_000).nullable().default(null),
    /**
     * The tenant's MCP servers (`/v1/mcp-servers`, by name) whose tools this agent offers, each with
     * an optional list of its tools (null: every tool the server allows). Missing means none.
     */
    mcpServers: mcpServerSelectionsSchema.optional(),
    limits: limitSettingsSchema.default(limitSettingsSchema.parse({})),
    jwt: jwtTrustSchema.nullable().default(null),
    /**
     * A turn sent to a session while another runs there: `enqueue` runs it next, in arrival order;
     * `reject` answers 409 SESSION_BUSY. Configs stored before this field existed mean `enqueue`.
     */
    sessionConcurrency: z.enum(SESSION_CONCURRENCY).default('enqueue'),
    /** Model settings of the default agent (see agent-catalog/agent.ts); missing leaves them to the provider. */
    temperature: z.number().min(0).max(2).nullable().optional(),
    maxOutputTokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
    stopSequences: z.array(z.string().min(1).max(100)).max(8).optional(),
    /** Operator only: how many agents (the default one included) the tenant may have; missing means 100. */
    maxAgents: z.number().int().min(1).max(10_000).nullable().optional(),
    /**
     * Operator only: the models this tenant may use, as `provider:model` or `provider:*`; null or
     * missing allows every model the platform's providers offer.
     */
    allowedModels: z
      .array(z.string().regex(/^[a-z][a-z0-9_-]{0,31}:(\*|\S{1,128})$/, 'must be provider:model or provider:*'))
      .max(256)
      .nullable()
      .optional(),
  })
  .strict();

export type TenantConfig = z.infer<typeof tenantConfigSchema>;

export const DEFAULT_TENANT_CONFIG: TenantConfig = tenantConfigSchema.parse({});

/** Fields a tenant may change about itself; limits, JWT trust and allowed models are the operator's. */
export const TENANT_EDITABLE_FIELDS = [
  'systemPrompt',
  'model',
  'language',
  'tools',
  'contextBudgetTokens',
  'sessionConcurrency',
  'temperature',
  'maxOutputTokens',
  'stopSequences',
  'mcpServers',
] as const;

export interface TenantConfigVersion {
  version: number;
  config: TenantConfig;
  createdBy: string;
  createdAt: string;
}

export { SCOPES };

/** The stricter of two limit sets, field by field (`null` is unlimited). */
export function tighterLimits(a: LimitSettings, b: LimitSettings | null): LimitSettings {
  if (!b) return a;
  const pick = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.min(x, y));
  return {
    requestsPerMinute: pick(a.requestsPerMinute, b.requestsPerMinute),
    concurrentTurns: pick(a.concurrentTurns, b.concurrentTurns),
    tokensPerMinute: pick(a.tokensPerMinute, b.tokensPerMinute),
    tokensPerDay: pick(a.tokensPerDay, b.tokensPerDay),
    tokensPerMonth: pick(a.tokensPerMonth, b.tokensPerMonth),
  };
}
