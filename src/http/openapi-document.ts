import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type Json = Record<string, unknown>;
type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type TransformObjectInput = Parameters<typeof jsonSchemaTransformObject>[0];

/** The one security scheme: an API key, a JWT or the admin key, all sent as a bearer token. */
export const BEARER_SCHEME = 'bearerAuth';

const SAFE_INTEGER_BOUNDS = new Set([Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);

/**
 * The operationId of a route, by one rule so that every route gets one without writing it:
 * the method, then each path segment in camel case, path parameters as `By<Name>`.
 * `GET /v1/sessions/:id/messages` -> `getV1SessionsByIdMessages`.
 */
export function operationIdFor(method: string, url: string): string {
  const words = url
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => {
      const parameter = segment.startsWith(':') || segment.startsWith('{');
      const parts = segment
        .replace(/^[:{]|}$/g, '')
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean);
      return parameter ? ['by', ...parts] : parts;
    });
  return [method.toLowerCase(), ...words.map((word) => word[0]?.toUpperCase() + word.slice(1))].join('');
}

/**
 * Per route, after the zod conversion: the operationId from `operationIdFor`, and no security
 * requirement on public routes (`config.public`, e.g. health and readiness).
 */
export function transformRoute(input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const transformed = jsonSchemaTransform(input);
  const schema = transformed.schema as Json;
  const method = [input.route.method].flat()[0] ?? 'get';
  const isPublic = (input.route.config as { public?: boolean } | undefined)?.public === true;
  const operationId = typeof schema.operationId === 'string' ? schema.operationId : operationIdFor(method, input.url);
  return {
    ...transformed,
    schema: { ...schema, operationId, ...(isPublic ? { security: [] } : {}) },
  } as ReturnType<typeof jsonSchemaTransform>;
}

/** Drops `minimum`/`maximum` that only restate JavaScript's safe-integer range (zod's `z.int()`). */
function withoutSafeIntegerBounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSafeIntegerBounds);
  if (value === null || typeof value !== 'object') return value;
  const result: Json = {};
  for (const [key, child] of Object.entries(value)) {
    if ((key === 'minimum' || key === 'maximum') && SAFE_INTEGER_BOUNDS.has(child as number)) continue;
    result[key] = withoutSafeIntegerBounds(child);
  }
  return result;
}

/** Component schemas no `$ref` reaches (the unused `*Input` twins the zod conversion registers). */
function withoutUnusedSchemas(document: Json): Json {
  const components = (document.components ?? {}) as Json;
  const schemas = { ...((components.schemas ?? {}) as Json) };
  for (;;) {
    const text = JSON.stringify({ ...document, components: { ...components, schemas } });
    const unused = Object.keys(schemas).filter((name) => !text.includes(`"#/components/schemas/${name}"`));
    if (unused.length === 0) break;
    for (const name of unused) delete schemas[name];
  }
  return { ...document, components: { ...components, schemas } };
}

/**
 * The whole document, after the zod conversion: servers, the bearer scheme required by default,
 * the license, and none of the noise the conversion leaves (unused schemas, safe-integer bounds
 * that viewers turn into examples such as `-9007199254740991`).
 */
export function finishDocument(input: TransformObjectInput): ReturnType<typeof jsonSchemaTransformObject> {
  const document = jsonSchemaTransformObject(input) as Json;
  const components = (document.components ?? {}) as Json;
  const finished = withoutUnusedSchemas(
    withoutSafeIntegerBounds({
      ...document,
      servers: [{ url: '/', description: 'This server' }],
      security: [{ [BEARER_SCHEME]: [] }],
      components: {
        ...components,
        securitySchemes: {
          [BEARER_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A tenant API key (enc_…), a JWT from a trusted issuer, or the operator admin key. Not needed while ENCLAVE_AUTH is disabled (loopback development).',
          },
        },
      },
    }) as Json,
  );
  return finished as ReturnType<typeof jsonSchemaTransformObject>;
}
