/** An answer read whole: its status, headers, text, and the parsed body when it is JSON (else null). */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  json: ReturnType<typeof JSON.parse>;
}

/** Sends JSON (or nothing) to a server on a real port (`baseUrl`) and reads the whole answer. */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    contentType,
    text,
    json: /json/.test(contentType) ? JSON.parse(text) : null,
  };
}

/** An API key: the key itself, and the Authorization header that carries it. */
export interface TenantKey {
  key: string;
  headers: Record<string, string>;
}

/**
 * Makes an API key for tenant `tenantId` through the admin API (`key`: its name and scopes; by
 * default `{ name: 'app' }` with the default scopes). Throws unless the key is created.
 */
export async function createKey(
  baseUrl: string,
  adminKey: string,
  tenantId: string,
  key: Record<string, unknown> = { name: 'app' },
): Promise<TenantKey> {
  const admin = { authorization: `Bearer ${adminKey}` };
  const created = await request(baseUrl, 'POST', `/v1/admin/tenants/${tenantId}/keys`, admin, key);
  if (created.status !== 201) throw new Error(`key for ${tenantId}: ${created.status} ${created.text}`);
  return { key: created.json.key, headers: { authorization: `Bearer ${created.json.key}` } };
}

/**
 * Creates tenant `id` through the admin API (with `config` when given), then an API key for it
 * (`key`, as in `createKey`) through `keyBaseUrl`: by default the same server, or another replica
 * of the deployment, which then has to see the new tenant. Throws unless both are created.
 */
export async function createTenantWithKey(
  baseUrl: string,
  adminKey: string,
  id: string,
  options: { config?: Record<string, unknown>; key?: Record<string, unknown>; keyBaseUrl?: string } = {},
): Promise<TenantKey> {
  const admin = { authorization: `Bearer ${adminKey}` };
  const body = { id, ...(options.config ? { config: options.config } : {}) };
  const created = await request(baseUrl, 'POST', '/v1/admin/tenants', admin, body);
  if (created.status !== 201) throw new Error(`tenant ${id}: ${created.status} ${created.text}`);
  return createKey(options.keyBaseUrl ?? baseUrl, adminKey, id, options.key);
}

/**
 * `call(method, url, headers, body?)` through Fastify's `inject` (no socket): the status, the text,
 * and `json()` to parse it.
 */
export function injector(app: {
  inject(options: { method: 'GET'; url: string; headers: Record<string, string>; payload?: object }): Promise<{
    statusCode: number;
    body: string;
    json(): unknown;
  }>;
}) {
  return async (method: string, url: string, headers: Record<string, string>, payload?: unknown) => {
    const response = await app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: parsed JSON bodies, asserted field by field.
    return { status: response.statusCode, text: response.body, json: (): any => response.json() };
  };
}
