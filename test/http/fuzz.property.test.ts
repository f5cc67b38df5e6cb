import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.ts';
import {
  body,
  contentType,
  extraHeaders,
  type Framing,
  framing,
  hostileCursors,
  percentEncode,
  text,
  upgradeHeaders,
} from '../helpers/fuzz-inputs.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';

/**
 * Request fuzzing over every OpenAPI operation, on a real server through raw sockets: wrong types,
 * NUL, unpaired surrogates, deep nesting, huge strings, odd content types, prototype keys, broken
 * HTTP framing and WebSocket upgrades with hostile handshake headers (on every operation and on
 * `GET /v1/ws`). No answer may be a 5xx, and every error is problem+json with a known code (whose
 * `detail` keeps the original API's clients working).
 *
 * Seeded and bounded: FUZZ_SEED replays a run (the seed is in every failure message), and
 * FUZZ_RUNS_PER_OPERATION sets how many requests each operation gets.
 */

const SEED = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS_PER_OPERATION ?? 6);
const ADMIN = `admin-${'f'.repeat(40)}`;
const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyFields: string[];
  hasBody: boolean;
}

interface OpenApiParameter {
  in: string;
  name: string;
}
interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}

let set: ReplicaSet;
let port: number;
let operations: Operation[];
let tenantKey: string;
/** Path parameter values that name things that exist, so that requests get past the lookup. */
const known: Record<string, string[]> = {};

beforeAll(async () => {
  set = await startReplicas({
    count: 1,
    adminKey: ADMIN,
    env: { ENCLAVE_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') },
  });
  const baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
  port = Number(new URL(baseUrl).port);
  const scopes = ['chat', 'history:read', 'config:write', 'keys:manage'];
  tenantKey = (await createTenantWithKey(baseUrl, ADMIN, 'fuzz', { key: { name: 'fuzz', scopes } })).key;
  // Admin requests only ever name this tenant (or made-up ones), so the fuzz cannot delete its own.
  await createTenantWithKey(baseUrl, ADMIN, 'fuzz-other');
  const headers = { authorization: `Bearer ${tenantKey}` };
  const session = await request(baseUrl, 'POST', '/v1/sessions', headers, { title: 'fuzz' });
  const turn = await request(baseUrl, 'POST', `/v1/sessions/${session.json.id}/messages`, headers, { content: 'hi' });
  const secret = await request(baseUrl, 'PUT', '/v1/secrets/fuzz.secret', headers, { value: 'v' });
  expect([session.status, turn.status, secret.status]).toEqual([201, 200, 204]);
  Object.assign(known, {
    id: [session.json.id],
    turn_id: [turn.json.turn_id],
    tenant_id: ['fuzz-other', 'fuzz'],
    name: ['fuzz.secret'],
    key_id: ['key_0000000000000000000000000'],
    user_id: ['user-1'],
  });
  const document = (await request(baseUrl, 'GET', '/openapi.json', {})).json as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const parameters = operation.parameters ?? [];
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        queryParams: parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
        bodyFields: Object.keys(schema?.properties ?? {}),
        hasBody: operation.requestBody !== undefined,
      };
    }),
  );
  // Not in the document (OpenAPI cannot describe a WebSocket), but reachable: its upgrades are fuzzed too.
  operations.push({ method: 'GET', path: '/v1/ws', pathParams: [], queryParams: [], bodyFields: [], hasBody: false });
}, 60_000);
afterAll(async () => {
  await set?.close();
});

/** A path parameter: an existing thing, or hostile text (encoded, or raw bytes no encoder makes). */
const pathValue = (name: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(known[name] ?? ['x'])) },
    { weight: 3, arbitrary: text.filter((value) => value.length < 3000).map(percentEncode) },
    fc.constantFrom('%00', '%ED%A0%80', '%FF', '%', '%zz', '..', '.', '__proto__', 'constructor', 'a'.repeat(5000)),
  );

const credential = fc.oneof(
  { weight: 8, arbitrary: fc.constant('tenant') },
  fc.constantFrom('admin', 'none', 'garbage', 'basic'),
);

/** Query strings: the operation's own parameters with hostile values, repeats, and extra keys. */
const query = (names: readonly string[]) =>
  fc
    .array(
      fc.tuple(
        fc.constantFrom(...names, '__proto__', 'constructor', 'limit[]', 'x'),
        fc.oneof(
          text.filter((value) => value.length < 5000).map(percentEncode),
          fc.constantFrom('%00', '%ED%A0%80', '', ...hostileCursors),
        ),
      ),
      { maxLength: 4 },
    )
    .map((entries) =>
      entries.length === 0 ? '' : `?${entries.map(([key, value]) => `${percentEncode(key)}=${value}`).join('&')}`,
    );

interface FuzzRequest {
  operation: Operation;
  path: string;
  query: string;
  credential: string;
  headers: Array<[string, string]>;
  contentType: string | null;
  body: string | Buffer | null;
  framing: Framing;
  /** WebSocket handshake headers, sent as an upgrade request (`Connection: Upgrade`); null for none. */
  upgrade: Array<[string, string]> | null;
}

function requestFor(operation: Operation): fc.Arbitrary<FuzzRequest> {
  const segments = operation.pathParams.map((name) => pathValue(name).map((value) => [name, value] as const));
  return fc.record({
    operation: fc.constant(operation),
    path: fc
      .tuple(...segments)
      .map((values) => values.reduce((path, [name, value]) => path.replace(`{${name}}`, value), operation.path)),
    query: query(operation.queryParams),
    credential,
    headers: extraHeaders,
    // Mostly a JSON body where the operation takes one; sometimes a body where it takes none.
    contentType: fc.option(contentType, { freq: operation.hasBody ? 8 : 2 }),
    body: fc.option(body(operation.bodyFields), { freq: operation.hasBody ? 10 : 3 }),
    framing,
    // Mostly an upgrade on the WebSocket route; sometimes one on any other operation.
    upgrade: fc.oneof(
      { weight: operation.path === '/v1/ws' ? 1 : 5, arbitrary: fc.constant(null) },
      { weight: operation.path === '/v1/ws' ? 6 : 1, arbitrary: upgradeHeaders },
    ),
  });
}

function authorization(kind: string): string | null {
  if (kind === 'tenant') return `Bearer ${tenantKey}`;
  if (kind === 'admin') return `Bearer ${ADMIN}`;
  if (kind === 'garbage') return 'Bearer enc_\u00ff\u00fe';
  if (kind === 'basic') return 'Basic Zm9vOmJhcg==';
  return null;
}

/** The request's bytes on the wire, framed as `framing` says. */
function wire(fuzz: FuzzRequest): Buffer[] {
  const payload = fuzz.body === null ? null : Buffer.from(fuzz.body);
  const lines = [
    `${fuzz.operation.method} ${fuzz.path}${fuzz.query} HTTP/1.1`,
    'Host: 127.0.0.1',
    // `close` too: a request that is no upgrade after all (no Upgrade header) must not hold its connection open.
    fuzz.upgrade === null ? 'Connection: close' : 'Connection: Upgrade, close',
    ...(fuzz.upgrade ?? []).map(([name, value]) => `${name}: ${value}`),
  ];
  const auth = authorization(fuzz.credential);
  if (auth) lines.push(`Authorization: ${auth}`);
  for (const [name, value] of fuzz.headers) lines.push(`${name}: ${value}`);
  if (fuzz.contentType !== null) lines.push(`Content-Type: ${fuzz.contentType}`);
  const length = payload?.length ?? 0;
  const chunked = (size: string) => [
    Buffer.from(`${size}\r\n`),
    payload ?? Buffer.alloc(0),
    Buffer.from('\r\n0\r\n\r\n'),
  ];
  switch (fuzz.framing) {
    case 'content-length-not-a-number':
      lines.push('Content-Length: 1x');
      break;
    case 'content-length-twice':
      lines.push(`Content-Length: ${length}`, `Content-Length: ${length + 1}`);
      break;
    case 'content-length-and-chunked':
      lines.push(`Content-Length: ${length}`, 'Transfer-Encoding: chunked');
      break;
    case 'bad-chunk-size':
    case 'chunked-ok':
      lines.push('Transfer-Encoding: chunked');
      break;
    case 'nul-in-header':
      lines.push('X-Note: a\u0000b');
      break;
    case 'oversized-headers':
      lines.push(`X-Padding: ${'p'.repeat(20_000)}`);
      break;
    case 'expect-bogus':
      lines.push('Expect: bogus');
      break;
  }
  if (
    fuzz.framing !== 'chunked-ok' &&
    fuzz.framing !== 'bad-chunk-size' &&
    fuzz.framing !== 'content-length-and-chunked'
  )
    if (!lines.some((line) => line.startsWith('Content-Length')) && payload) lines.push(`Content-Length: ${length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  if (fuzz.framing === 'chunked-ok' || fuzz.framing === 'content-length-and-chunked')
    return payload && length > 0 ? [head, ...chunked(length.toString(16))] : [head, Buffer.from('0\r\n\r\n')];
  if (fuzz.framing === 'bad-chunk-size') return [head, ...chunked('zz')];
  return payload ? [head, payload] : [head];
}

/** A short description of a request for failure messages (bodies and huge values cut). */
function describeRequest(fuzz: FuzzRequest): string {
  const cut = (value: string) => (value.length > 200 ? `${value.slice(0, 200)}…(${value.length} chars)` : value);
  return JSON.stringify({
    request: `${fuzz.operation.method} ${cut(fuzz.path + fuzz.query)}`,
    credential: fuzz.credential,
    headers: fuzz.headers.map(([name, value]) => `${name}: ${cut(value)}`),
    contentType: fuzz.contentType,
    body: fuzz.body === null ? null : cut(fuzz.body.toString()),
    framing: fuzz.framing,
    upgrade: fuzz.upgrade?.map(([name, value]) => `${name}: ${cut(value)}`) ?? null,
  });
}

const OPENAI_ROUTE = /^\/v1\/(chat\/completions|models|responses|conversations)(\/|$)/;

describe(`request fuzzing (FUZZ_SEED=${SEED})`, () => {
  it('answers every hostile request on every operation below 500, and every error as problem+json with a code', async () => {
    expect(operations.length).toBeGreaterThan(30);
    for (const [index, operation] of operations.entries()) {
      await fc.assert(
        fc.asyncProperty(requestFor(operation), async (fuzz) => {
          const answer = await rawExchange(port, wire(fuzz), { idleMs: 20_000 });
          const context = `FUZZ_SEED=${SEED} ${describeRequest(fuzz)} -> ${answer?.raw.slice(0, 600) ?? 'no answer'}`;
          expect(answer, context).not.toBeNull();
          if (!answer) return;
          expect(answer.status, context).toBeLessThan(500);
          if (answer.status < 400) return;
          // /mcp: once the request is MCP (authenticated, within limits, JSON), the MCP transport
          // answers what it cannot serve (not JSON-RPC, a bad Accept, a GET) with the transport's
          // own JSON-RPC error, as MCP clients expect; still below 500. Everything before is problem+json.
          if (fuzz.operation.path === '/mcp' && /^application\/json/.test(answer.headers['content-type'] ?? '')) {
            const message = JSON.parse(answer.body);
            expect(message.jsonrpc, context).toBe('2.0');
            expect(typeof message.error?.code, context).toBe('number');
            return;
          }
          // The OpenAI-compatible routes answer in OpenAI's error shape (docs/openai-compatibility.md),
          // with the Enclave code in lower case.
          // Errors raised before routing (framing, HTTP parsing) are problem+json everywhere.
          if (
            OPENAI_ROUTE.test(fuzz.operation.path) &&
            /^application\/json/.test(answer.headers['content-type'] ?? '')
          ) {
            const error = JSON.parse(answer.body).error;
            expect(KNOWN_CODES.has(String(error?.code).toUpperCase()), context).toBe(true);
            expect(typeof error.message, context).toBe('string');
            return;
          }
          expect(answer.headers['content-type'], context).toMatch(/^application\/problem\+json/);
          const problem = JSON.parse(answer.body);
          expect(KNOWN_CODES.has(problem.code), context).toBe(true);
          expect(problem.status, context).toBe(answer.status);
          expect(typeof problem.detail, context).toBe('string');
        }),
        // Each operation gets its own seed derived from FUZZ_SEED; no shrinking, to stay bounded.
        { seed: SEED + index, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
      );
    }
  }, 120_000);
});
