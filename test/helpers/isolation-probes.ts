import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SHARED_MCP_SERVER_NAME, SHARED_SECRET_NAME, type TenantFixture } from './isolation-fixtures.ts';

/**
 * Requests an attacker tenant sends, aimed at a victim tenant: every route and method, with the
 * victim's real ids, random ids of the same shape, and malformed ones.
 */

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A made-up agent id of the fixtures' shape. */
export function lookalikeAgentId(): string {
  return `agent-${randomBytes(6).toString('hex')}`;
}

/** An id of the same shape as a real one (`ses_` / `key_` + 26 Crockford characters). */
export function lookalikeId(prefix: 'ses' | 'key' | 'resp'): string {
  let tail = '';
  for (const byte of randomBytes(26)) tail += CROCKFORD[byte % 32];
  return `${prefix}_${tail}`;
}
export const lookalikeTenant = () => `iso-${randomBytes(5).toString('hex')}`;

// --- references to ids, resolved against the attacker and victim of a run -------------------------

type Malformed = { kind: 'malformed'; value: string; raw: boolean };
export type IdRef =
  | { kind: 'victim'; pick: number }
  | { kind: 'victim-variant'; pick: number; variant: number }
  | { kind: 'lookalike'; value: string }
  | { kind: 'own'; pick: number }
  | Malformed;
export type TenantRef = { kind: 'victim' } | { kind: 'own' } | { kind: 'lookalike'; value: string } | Malformed;

/** Put into a path as is (already encoded, or meant to be raw), else percent-encoded. */
const TRAVERSAL = [
  '..',
  '..%2F',
  '..%2F..%2Fadmin%2Ftenants',
  '%2e%2e%2f%2e%2e%2f',
  '%2E',
  '%2e%2e',
  '....%2F%2F',
  '%252e%252e%252f',
  '%00',
  '%0d%0aTenant-ID:%20x',
  '%C0%AE%C0%AE%2F',
  '%EF%BC%8F',
  '%',
  '%zz',
  '%u002e',
  'ses_legacy%2F..',
  '%3B',
  '*',
  '~',
  '%20',
  '+',
  ':id',
  '%7Bid%7D',
];

const encodable = (value: string) => {
  try {
    encodeURIComponent(value);
    return value !== '.' && value !== '..';
  } catch {
    return false;
  }
};
const malformed: fc.Arbitrary<Malformed> = fc.oneof(
  {
    arbitrary: fc.constantFrom(...TRAVERSAL).map((value) => ({ kind: 'malformed' as const, value, raw: true })),
    weight: 3,
  },
  ...[
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
    fc.string({ minLength: 65, maxLength: 3000 }),
  ].map((strings) => ({
    arbitrary: strings.filter(encodable).map((value) => ({ kind: 'malformed' as const, value, raw: false })),
    weight: 1,
  })),
);
const crockford = (length: number) =>
  fc.string({ unit: fc.constantFrom(...CROCKFORD), minLength: length, maxLength: length });

const idRef = (prefix: 'ses' | 'key'): fc.Arbitrary<IdRef> =>
  fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('victim' as const), pick: fc.nat(9) }), weight: 6 },
    {
      arbitrary: fc.record({ kind: fc.constant('victim-variant' as const), pick: fc.nat(9), variant: fc.nat(6) }),
      weight: 2,
    },
    { arbitrary: crockford(26).map((tail) => ({ kind: 'lookalike' as const, value: `${prefix}_${tail}` })), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('own' as const), pick: fc.nat(9) }), weight: 2 },
    { arbitrary: malformed, weight: 3 },
  );
const tenantRef: fc.Arbitrary<TenantRef> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'victim' as const }), weight: 6 },
  { arbitrary: fc.constant({ kind: 'own' as const }), weight: 2 },
  {
    arbitrary: fc
      .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 10, maxLength: 10 })
      .map((h) => ({ kind: 'lookalike' as const, value: `iso-${h}` })),
    weight: 1,
  },
  { arbitrary: malformed, weight: 2 },
);

// --- the probe specification (plain data, so a counterexample prints readably) ---------------------

export const OPERATIONS = [
  'POST /agent/interact',
  'GET /agent/history/{tenant_id}',
  'POST /v1/sessions',
  'GET /v1/sessions',
  'GET /v1/sessions/{id}',
  'DELETE /v1/sessions/{id}',
  'GET /v1/sessions/{id}/messages',
  'POST /v1/sessions/{id}/messages',
  'POST /v1/turns/{id}/cancel',
  'GET /v1/turns/{id}',
  'GET /v1/turns/{id}/events',
  'PATCH /v1/sessions/{id}',
  'POST /v1/chat/completions',
  'GET /v1/models',
  'GET /v1/models/{model}',
  'GET /v1/platform-mcp-servers',
  'GET /v1/platform-mcp-servers/{name}/tools',
  'POST /v1/agents',
  'GET /v1/agents',
  'POST /v1/mcp-servers',
  'GET /v1/mcp-servers',
  'GET /v1/mcp-servers/{id}',
  'PATCH /v1/mcp-servers/{id}',
  'DELETE /v1/mcp-servers/{id}',
  'GET /v1/mcp-servers/{id}/tools',
  'PUT /v1/mcp-servers/{id}/credentials/{user_id}',
  'GET /v1/mcp-servers/{id}/credentials/{user_id}',
  'DELETE /v1/mcp-servers/{id}/credentials/{user_id}',
  'POST /v1/mcp-servers/{id}/oauth/authorize',
  'GET /v1/mcp-servers/{id}/oauth',
  'DELETE /v1/mcp-servers/{id}/oauth',
  'GET /v1/mcp-servers/oauth/callback',
  'GET /v1/agents/{agent_id}',
  'PATCH /v1/agents/{agent_id}',
  'DELETE /v1/agents/{agent_id}',
  'GET /v1/agents/{agent_id}/versions',
  'GET /v1/agents/{agent_id}/versions/{version}',
  'POST /v1/agents/{agent_id}/versions/{version}/restore',
  'GET /v1/config',
  'PATCH /v1/config',
  'GET /v1/config/versions',
  'POST /v1/config/rollback',
  'POST /v1/keys',
  'GET /v1/keys',
  'DELETE /v1/keys/{key_id}',
  'GET /v1/usage',
  'GET /v1/usage/records',
  'GET /v1/audit',
  'GET /v1/secrets',
  'PUT /v1/secrets/{name}',
  'DELETE /v1/secrets/{name}',
  'DELETE /v1/users/{user_id}',
  'POST /v1/admin/tenants',
  'GET /v1/admin/tenants',
  'GET /v1/admin/tenants/{tenant_id}',
  'PATCH /v1/admin/tenants/{tenant_id}',
  'DELETE /v1/admin/tenants/{tenant_id}',
  'POST /v1/admin/tenants/{tenant_id}/suspend',
  'POST /v1/admin/tenants/{tenant_id}/resume',
  'GET /v1/admin/tenants/{tenant_id}/audit',
  'GET /v1/admin/tenants/{tenant_id}/export',
  'POST /v1/admin/tenants/{tenant_id}/agents',
  'GET /v1/admin/tenants/{tenant_id}/agents',
  'GET /v1/admin/tenants/{tenant_id}/agents/{agent_id}',
  'PATCH /v1/admin/tenants/{tenant_id}/agents/{agent_id}',
  'DELETE /v1/admin/tenants/{tenant_id}/agents/{agent_id}',
  'GET /v1/admin/tenants/{tenant_id}/agents/{agent_id}/versions',
  'GET /v1/admin/tenants/{tenant_id}/agents/{agent_id}/versions/{version}',
  'POST /v1/admin/tenants/{tenant_id}/agents/{agent_id}/versions/{version}/restore',
  'GET /v1/admin/tenants/{tenant_id}/config',
  'PATCH /v1/admin/tenants/{tenant_id}/config',
  'GET /v1/admin/tenants/{tenant_id}/config/versions',
  'POST /v1/admin/tenants/{tenant_id}/config/rollback',
  'POST /v1/admin/tenants/{tenant_id}/keys',
  'GET /v1/admin/tenants/{tenant_id}/keys',
  'DELETE /v1/admin/tenants/{tenant_id}/keys/{key_id}',
  'GET /v1/admin/tenants/{tenant_id}/usage',
  'GET /v1/admin/tenants/{tenant_id}/usage/records',
  'GET /v1/admin/tenants/{tenant_id}/secrets',
  'PUT /v1/admin/tenants/{tenant_id}/secrets/{name}',
  'DELETE /v1/admin/tenants/{tenant_id}/secrets/{name}',
  'DELETE /v1/admin/tenants/{tenant_id}/users/{user_id}',
  'POST /mcp',
  'POST /v1/admin/tenants/{tenant_id}/mcp-servers',
  'GET /v1/admin/tenants/{tenant_id}/mcp-servers',
  'GET /v1/admin/tenants/{tenant_id}/mcp-servers/{id}',
  'PATCH /v1/admin/tenants/{tenant_id}/mcp-servers/{id}',
  'DELETE /v1/admin/tenants/{tenant_id}/mcp-servers/{id}',
  'GET /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/tools',
  'PUT /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/credentials/{user_id}',
  'GET /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/credentials/{user_id}',
  'DELETE /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/credentials/{user_id}',
  'POST /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/oauth/authorize',
  'GET /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/oauth',
  'DELETE /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/oauth',
  'POST /v1/conversations',
  'GET /v1/conversations/{id}',
  'POST /v1/conversations/{id}',
  'DELETE /v1/conversations/{id}',
  'GET /v1/conversations/{id}/items',
  'POST /v1/conversations/{id}/items',
  'GET /v1/conversations/{id}/items/{item_id}',
  'DELETE /v1/conversations/{id}/items/{item_id}',
  'POST /v1/responses',
  'GET /v1/responses/{id}',
  'POST /v1/responses/{id}/cancel',
  'GET /v1/responses/{id}/input_items',
  'DELETE /v1/responses/{id}',
  'GET /v1/admin/usage',
  'GET /v1/admin/providers/health',
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  // Not routes: probing for what is not there must look the same for every tenant.
  'PUT /v1/sessions/{id}',
  'GET /v1/tenants/{tenant_id}',
  'GET /v1/admin/tenants/{tenant_id}/sessions',
  'POST /v1/admin/admin-keys',
] as const;
export type Operation = (typeof OPERATIONS)[number];
export const NOT_ROUTES: readonly Operation[] = OPERATIONS.slice(-4);

export interface ProbeSpec {
  op: Operation;
  /** HEAD instead of GET. */
  head: boolean;
  tenant: TenantRef;
  session: IdRef;
  key: IdRef;
  /** Attacker-chosen text; never contains a victim value. */
  text: string;
  n: number;
  variant: number;
}

export const probeSpec: fc.Arbitrary<ProbeSpec> = fc.record({
  op: fc.constantFrom(...OPERATIONS),
  head: fc.boolean(),
  tenant: tenantRef,
  session: idRef('ses'),
  key: idRef('key'),
  text: fc.string({ minLength: 1, maxLength: 40 }).map((text) => `attack ${text}`),
  n: fc.nat(1_000),
  variant: fc.nat(11),
});

// --- a concrete request ----------------------------------------------------------------------------

/** `status` or `status:CODE`. */
export type Outcome = string;
export type Area = 'tenant' | 'legacy' | 'admin' | 'public' | 'none';
export type OwnWrite =
  | { kind: 'session' }
  | { kind: 'key' }
  | { kind: 'config' }
  | { kind: 'turn'; session: string }
  | { kind: 'secret-put'; name: string }
  | { kind: 'secret-delete'; name: string }
  | { kind: 'erase' };

export interface Probe {
  op: Operation;
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  payload?: unknown;
  headers: Record<string, string>;
  /** tenant: the `/v1` routes that read `Tenant-ID`; legacy: tenant named in the body or path. */
  area: Area;
  /** False when the request is invalid whoever sends it (then any 4xx will do, never 2xx). */
  wellFormed: boolean;
  /** What a valid attacker credential without a foreign `Tenant-ID` gets for a well-formed request. */
  expect: Outcome[];
  /**
   * A dot segment moved the request to another path (say `/v1/sessions/%2E` to the list): any
   * answer but 5xx, for any route it may have reached (leaks and writes are still checked).
   */
  reroutes: boolean;
  /** When it succeeds: what it wrote in the attacker's own tenant. */
  write?: OwnWrite;
}

interface Ids {
  value: string;
  /** Already URL-safe or deliberately raw. */
  raw: boolean;
  wellFormed: boolean;
  owner: 'own' | 'other' | 'none';
}

const pick = <T>(items: readonly T[], index: number): T => items[index % items.length] as T;

/** A victim id altered: only `lower` keeps the id's shape (session ids allow lower case). */
function variantOf(id: string, variant: number, lowerIsWellFormed: boolean): Ids {
  const variants: [string, boolean][] = [
    [id.toLowerCase(), lowerIsWellFormed],
    [`${id}%00`, false],
    [`${id}%2F..`, false],
    [`..%2F${id}`, false],
    [`${id}.json`, false],
    [`%20${id}`, false],
    [`${id}%3F`, false],
  ];
  const [value, wellFormed] = pick(variants, variant);
  return { value, raw: true, wellFormed, owner: 'other' };
}

function resolveId(ref: IdRef, victimIds: string[], ownIds: string[], idPattern: RegExp, lower: boolean): Ids {
  switch (ref.kind) {
    case 'victim':
      return { value: pick(victimIds, ref.pick), raw: true, wellFormed: true, owner: 'other' };
    case 'victim-variant':
      return variantOf(pick(victimIds, ref.pick), ref.variant, lower);
    case 'lookalike':
      return { value: ref.value, raw: true, wellFormed: true, owner: 'none' };
    case 'own':
      return { value: pick(ownIds, ref.pick), raw: true, wellFormed: true, owner: 'own' };
    case 'malformed':
      // A random string may happen to have the shape of an id: then it names nothing.
      return { value: ref.value, raw: ref.raw, wellFormed: shaped(ref, idPattern), owner: 'none' };
  }
}

/** A raw (percent-encoded) value as the body carries it: decoded when it decodes, else as is. */
function safeDecodeValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `.` and `..`, also percent-encoded: the URL parser resolves them, so the request reaches another path. */
const isDotSegment = (segment: string) => ['.', '..'].includes(segment.replaceAll(/%2e/gi, '.'));

/** Whether a malformed value still reaches the route with a valid parameter, as the router decodes it. */
function shaped(ref: Malformed, pattern: RegExp): boolean {
  if (!ref.raw) return pattern.test(ref.value);
  if (isDotSegment(ref.value)) return false;
  try {
    return pattern.test(decodeURIComponent(ref.value));
  } catch {
    return false;
  }
}

function resolveTenant(ref: TenantRef, own: TenantFixture, victim: TenantFixture): Ids {
  switch (ref.kind) {
    case 'victim':
      return { value: victim.id, raw: true, wellFormed: true, owner: 'other' };
    case 'own':
      return { value: own.id, raw: true, wellFormed: true, owner: 'own' };
    case 'lookalike':
      return { value: ref.value, raw: true, wellFormed: true, owner: 'none' };
    case 'malformed':
      return { value: ref.value, raw: ref.raw, wellFormed: shaped(ref, TENANT_ID), owner: 'none' };
  }
}

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TURN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_ID = /^key_[0-9A-Z]{1,40}$/;
const SECRET_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;
const USER_ID = /^[A-Za-z0-9._:@|-]{1,128}$/;
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const MCP_SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Conversation, item and response ids as the OpenAI-compatible routes accept them. */
const OPENAI_ID = /^[A-Za-z0-9_-]{1,64}$/;
const segment = (ids: Ids) => (ids.raw ? ids.value : encodeURIComponent(ids.value));
const cursorOf = (position: string | number) => Buffer.from(JSON.stringify({ p: position })).toString('base64url');

/** Query strings: valid ones (some with a cursor built from a victim id), and invalid ones. */
function listQuery(
  variant: number,
  victimCursor: string | number,
  max: number,
): { query: string; wellFormed: boolean } {
  const options: [string, boolean][] = [
    ['', true],
    ['?limit=1', true],
    [`?limit=${max}`, true],
    [`?cursor=${cursorOf(victimCursor)}`, true],
    [`?limit=2&cursor=${cursorOf(victimCursor)}`, true],
    ['?limit=0', false],
    [`?limit=${max + 1}`, false],
    ['?limit=abc', false],
    ['?cursor=!!', false],
    [`?cursor=${'x'.repeat(300)}`, false],
    [`?cursor=${cursorOf(-1)}`, false],
    ['?limit=1&limit=2', false],
  ];
  const [query, wellFormed] = pick(options, variant);
  return { query, wellFormed };
}

function usageQuery(variant: number): { query: string; wellFormed: boolean } {
  const options: [string, boolean][] = [
    ['', true],
    ['?group_by=model', true],
    ['?group_by=day,model&from=2000-01-01&to=2999-12-31', true],
    ['?from=2000-01-01', true],
    ['?group_by=tenant', false],
    ['?from=2030-01-01&to=2020-01-01', false],
    ['?from=yesterday', false],
  ];
  const [query, wellFormed] = pick(options, variant);
  return { query, wellFormed };
}

const NOT_FOUND = (code: string) => [`404:${code}`];

/** The concrete request of a spec, for one attacker (`own`) and one victim. */
export function buildProbe(spec: ProbeSpec, own: TenantFixture, victim: TenantFixture): Probe {
  const { op, text, n, variant } = spec;
  const [verb = 'GET', template = '/'] = op.split(' ');
  const method = (verb === 'GET' && spec.head ? 'HEAD' : verb) as Probe['method'];
  const tenant = resolveTenant(spec.tenant, own, victim);
  // Own sessions include the legacy one; a DELETE never aims at the attacker's own rows.
  const ownSessions = [...own.sessions, 'ses_legacy'];
  let session = resolveId(spec.session, victim.sessions, ownSessions, SESSION_ID, true);
  let key = resolveId(spec.key, victim.keyIds, own.keyIds, KEY_ID, false);
  // Secret names: the victim's own (only ever deleted), the name every tenant holds, or a new one.
  const secret: Ids =
    spec.key.kind === 'malformed'
      ? resolveId(spec.key, [], [], SECRET_NAME, false)
      : (() => {
          const victimName = victim.secretNames.find((name) => name !== SHARED_SECRET_NAME) ?? SHARED_SECRET_NAME;
          const names =
            verb === 'PUT' ? [SHARED_SECRET_NAME, `only.${n}`] : [victimName, SHARED_SECRET_NAME, `only.${n}`];
          const name = pick(names, variant);
          return { value: name, raw: true, wellFormed: true, owner: name === victimName ? 'other' : 'own' };
        })();
  // Agent ids come from the key reference: the victim's, a look-alike, the attacker's own, or malformed.
  let agent = resolveId(spec.key, victim.agentIds, own.agentIds, AGENT_ID, true);
  // Agent writes never aim at the attacker's own agents (that would be its own business).
  if (agent.owner === 'own' && verb !== 'GET')
    agent = { value: lookalikeAgentId(), raw: true, wellFormed: true, owner: 'none' };
  // MCP server ids come from the key reference too; writes never aim at the attacker's own servers.
  let mcp = resolveId(spec.key, victim.mcpServerIds, own.mcpServerIds, MCP_SERVER_ID, true);
  if (mcp.owner === 'own' && verb !== 'GET')
    mcp = { value: lookalikeId('ses').replace('ses_', 'mcp_'), raw: true, wellFormed: true, owner: 'none' };
  const version = pick([1, 2, n, 999_999_999], variant);
  if (method === 'DELETE') {
    if (session.owner === 'own') session = { value: lookalikeId('ses'), raw: true, wellFormed: true, owner: 'none' };
    if (key.owner === 'own') key = { value: lookalikeId('key'), raw: true, wellFormed: true, owner: 'none' };
  }
  const user: Ids =
    spec.session.kind === 'malformed'
      ? resolveId(spec.session, [], [], USER_ID, false)
      : { value: pick(victim.userIds, n), raw: true, wellFormed: true, owner: 'other' };

  const path = (template.includes('/mcp-servers/{id}') ? template.replace('{id}', segment(mcp)) : template)
    .replace('{tenant_id}', segment(tenant))
    .replace('{id}', segment(session))
    .replace('{key_id}', segment(key))
    .replace('{name}', segment(secret))
    .replace('{user_id}', segment(user))
    .replace('{agent_id}', segment(agent))
    .replace('{version}', String(version));
  const probe: Probe = {
    op,
    method,
    url: path,
    headers: {},
    area: 'tenant',
    wellFormed: true,
    expect: ['200'],
    reroutes: path.split('/').some(isDotSegment),
  };
  const needs = (...ids: Ids[]) => {
    probe.wellFormed &&= ids.every((ids) => ids.wellFormed);
  };
  const withQuery = (query: { query: string; wellFormed: boolean }) => {
    probe.url += query.query;
    probe.wellFormed &&= query.wellFormed;
  };

  if (op.startsWith('GET /v1/admin') || op.startsWith('POST /v1/admin') || op.startsWith('PATCH /v1/admin')) {
    probe.area = 'admin';
  }
  if (op.startsWith('DELETE /v1/admin') || op.startsWith('PUT /v1/admin')) probe.area = 'admin';
  if (NOT_ROUTES.includes(op)) probe.area = 'none';

  switch (op) {
    case 'POST /agent/interact':
      probe.area = 'legacy';
      probe.payload = pick<unknown>(
        [
          { tenant_id: tenant.value, message: text },
          { tenant_id: tenant.value, message: text },
          { tenant_id: [tenant.value], message: text },
          { message: text, tenant: tenant.value },
        ],
        variant,
      );
      needs(tenant);
      probe.wellFormed &&= variant % 4 < 2;
      probe.expect = tenant.owner === 'own' ? ['200'] : ['403:TENANT_MISMATCH'];
      if (tenant.owner === 'own') probe.write = { kind: 'turn', session: 'ses_legacy' };
      return probe;
    case 'GET /agent/history/{tenant_id}':
      probe.area = 'legacy';
      needs(tenant);
      withQuery(
        pick(
          [
            { query: '', wellFormed: true },
            { query: '?limit=1', wellFormed: true },
            { query: '?limit=0', wellFormed: false },
          ],
          variant,
        ),
      );
      probe.expect = tenant.owner === 'own' ? ['200'] : ['403:TENANT_MISMATCH'];
      return probe;
    case 'POST /v1/sessions': {
      const bodies: [unknown, boolean][] = [
        [undefined, true],
        [{ title: text }, true],
        [{ title: text, metadata: { note: text } }, true],
        [{ tenant_id: tenant.value, title: text }, false],
        [{ title: 5 }, false],
        [{ metadata: { [victim.id]: 'x'.repeat(600) } }, false],
        [{ title: text, agent_id: agent.value }, agent.wellFormed],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = ['201'];
      probe.write = { kind: 'session' };
      // A session of another tenant's agent (or a made-up one) answers like a missing agent.
      if ((payload as { agent_id?: string } | undefined)?.agent_id !== undefined) {
        if (agent.owner === 'own') {
          probe.payload = { title: text };
        } else {
          probe.expect = NOT_FOUND('AGENT_NOT_FOUND');
          delete probe.write;
        }
      }
      return probe;
    }
    case 'GET /v1/sessions':
      withQuery(listQuery(variant, pick(victim.sessions, n), 100));
      return probe;
    case 'GET /v1/sessions/{id}':
    case 'GET /v1/sessions/{id}/messages':
      needs(session);
      if (op.endsWith('messages')) withQuery(listQuery(variant, n, 500));
      probe.expect = session.owner === 'own' ? ['200'] : NOT_FOUND('SESSION_NOT_FOUND');
      return probe;
    case 'DELETE /v1/sessions/{id}':
      needs(session);
      probe.expect = NOT_FOUND('SESSION_NOT_FOUND');
      return probe;
    case 'POST /v1/sessions/{id}/messages': {
      needs(session);
      if (variant % 3 === 0) probe.headers.accept = 'text/event-stream';
      const bodies: [unknown, boolean][] = [
        [{ content: text }, true],
        [{ content: text }, true],
        [{ content: '' }, false],
        [{ content: text, tenant_id: victim.id }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = session.owner === 'own' ? ['200'] : NOT_FOUND('SESSION_NOT_FOUND');
      if (session.owner === 'own') probe.write = { kind: 'turn', session: session.value };
      return probe;
    }
    case 'POST /v1/turns/{id}/cancel': {
      // Turn ids instead of session ids. No turn runs while a probe does (each turn request has
      // ended before the next), so every well-formed id, the attacker's own included, is not found.
      const turn = resolveId(spec.session, victim.turnIds, own.turnIds, TURN_ID, true);
      probe.url = `/v1/turns/${segment(turn)}/cancel`;
      probe.reroutes = probe.url.split('/').some(isDotSegment);
      needs(turn);
      probe.expect = NOT_FOUND('TURN_NOT_FOUND');
      return probe;
    }
    case 'GET /v1/turns/{id}':
    case 'GET /v1/turns/{id}/events': {
      // The attacker's own turns are found (their events were never streamed: 410); any other id
      // answers like a made-up one, whoever owns it.
      const turn = resolveId(spec.session, victim.turnIds, own.turnIds, TURN_ID, true);
      const events = op.endsWith('/events');
      const resume: [string, Record<string, string>, boolean][] = [
        ['', {}, true],
        ['?after=3', {}, true],
        ['', { 'last-event-id': String(n) }, true],
        ['?after=x', {}, false],
        ['', { 'last-event-id': 'seq-1' }, false],
        ['?after=1&tenant_id=x', {}, false],
      ];
      const [query, headers, wellFormed] = events ? pick(resume, variant) : ['', {}, true];
      probe.url = `/v1/turns/${segment(turn)}${events ? '/events' : ''}${query}`;
      Object.assign(probe.headers, headers);
      probe.reroutes = probe.url.split('?')[0]?.split('/').some(isDotSegment) ?? false;
      probe.wellFormed &&= wellFormed;
      needs(turn);
      const mine = turn.owner === 'own';
      probe.expect = mine ? [events ? '410:TURN_EVENTS_EXPIRED' : '200'] : NOT_FOUND('TURN_NOT_FOUND');
      return probe;
    }
    case 'PATCH /v1/sessions/{id}': {
      // A hand-off to another tenant's agent (or a made-up one) is refused before the session is read.
      needs(session, agent);
      const bodies: [unknown, boolean][] = [
        [{ agent_id: agent.value }, true],
        [{ agent_id: agent.value }, true],
        [{ agent_id: agent.value, tenant_id: victim.id }, false],
        [{ agent_id: 5 }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = NOT_FOUND('AGENT_NOT_FOUND');
      return probe;
    }
    case 'POST /v1/agents': {
      // Only bodies that no tenant may send: creating its own agents is the attacker's business.
      // `default` is every tenant's: well formed, and refused the same for all.
      const bodies: [unknown, boolean][] = [
        [{ id: 'default', name: text }, true],
        [{ id: agent.value, config: { bogus_field: text } }, false],
        [{ id: agent.value, tenant_id: victim.id }, false],
        [{ id: agent.value, config: { tools: ['calculater'] } }, false],
        [{ name: 5 }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = ['409:AGENT_ALREADY_EXISTS'];
      return probe;
    }
    case 'POST /v1/chat/completions': {
      // The model names another tenant's agent, a made-up one, or a malformed name: all answer as a
      // missing model. The attacker's own agents would run a turn (its own business): a lookalike instead.
      if (agent.owner === 'own') agent = { value: lookalikeAgentId(), raw: true, wellFormed: true, owner: 'none' };
      const model = agent.raw ? safeDecodeValue(agent.value) : agent.value;
      const messages = [{ role: 'user', content: text }];
      const bodies: [unknown, boolean][] = [
        [{ model, messages }, true],
        [{ model, messages, stream: true, stream_options: { include_usage: true } }, true],
        [{ model, messages, store: true, user: 'someone' }, true],
        [{ model, messages: [] }, false],
        [{ model, messages, n: 2 }, false],
        [{ model, messages, tenant_id: victim.id }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed && agent.wellFormed;
      probe.expect = NOT_FOUND('MODEL_NOT_FOUND');
      return probe;
    }
    case 'GET /v1/models':
      return probe;
    // The operator's platform servers are the same for every tenant and hold no tenant data: the
    // list answers alike for all, and a name (this suite's app declares none) is missing for all.
    case 'GET /v1/platform-mcp-servers':
      return probe;
    case 'GET /v1/platform-mcp-servers/{name}/tools':
      probe.url = `/v1/platform-mcp-servers/${pick(['everything', 'files', 'github'], variant)}/tools`;
      probe.expect = NOT_FOUND('MCP_SERVER_NOT_FOUND');
      return probe;
    case 'GET /v1/models/{model}':
      probe.url = probe.url.replace('{model}', segment(agent));
      probe.reroutes = probe.url.split('/').some(isDotSegment);
      needs(agent);
      probe.expect = agent.owner === 'own' ? ['200'] : NOT_FOUND('MODEL_NOT_FOUND');
      return probe;
    case 'GET /v1/agents':
      withQuery(listQuery(variant, pick(victim.agentIds, n), 100));
      return probe;
    case 'GET /v1/agents/{agent_id}':
    case 'GET /v1/agents/{agent_id}/versions':
      needs(agent);
      if (op.endsWith('versions')) withQuery(listQuery(variant, n, 100));
      probe.expect = agent.owner === 'own' ? ['200'] : NOT_FOUND('AGENT_NOT_FOUND');
      return probe;
    case 'GET /v1/agents/{agent_id}/versions/{version}':
      needs(agent);
      probe.expect = agent.owner === 'own' ? ['200', '404:AGENT_VERSION_NOT_FOUND'] : NOT_FOUND('AGENT_NOT_FOUND');
      return probe;
    case 'PATCH /v1/agents/{agent_id}': {
      needs(agent);
      const bodies: [unknown, boolean][] = [
        [{ name: text }, true],
        [{ config: { system_prompt: text } }, true],
        [{ config: { system_prompt: text }, tenant_id: victim.id }, false],
        [{ config: { bogus_field: 1 } }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = NOT_FOUND('AGENT_NOT_FOUND');
      return probe;
    }
    case 'DELETE /v1/agents/{agent_id}':
      needs(agent);
      if (variant % 2 === 0) probe.url += '?cascade=true';
      probe.expect = NOT_FOUND('AGENT_NOT_FOUND');
      return probe;
    case 'POST /v1/agents/{agent_id}/versions/{version}/restore':
      needs(agent);
      probe.expect = NOT_FOUND('AGENT_NOT_FOUND');
      return probe;
    case 'POST /v1/mcp-servers': {
      // Only bodies no tenant may send: registering its own servers is the attacker's business.
      // The name every tenant has is refused the same for all.
      const bodies: [unknown, boolean][] = [
        [{ name: SHARED_MCP_SERVER_NAME, url: 'http://127.0.0.1:65535/mcp' }, true],
        [{ name: 'Not A Name', url: 'http://127.0.0.1:65535/mcp' }, false],
        [{ name: 'x', url: 'http://127.0.0.1:65535/mcp', tenant_id: victim.id }, false],
        [{ name: 'x', url: 'file:///etc/passwd' }, false],
        [{ url: 5 }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = ['409:MCP_SERVER_NAME_TAKEN'];
      return probe;
    }
    case 'GET /v1/mcp-servers':
      return probe;
    case 'GET /v1/mcp-servers/{id}':
    case 'GET /v1/mcp-servers/{id}/credentials/{user_id}':
      needs(mcp);
      if (op.includes('{user_id}')) needs(user);
      probe.expect = mcp.owner === 'own' ? ['200'] : NOT_FOUND('MCP_SERVER_NOT_FOUND');
      return probe;
    case 'GET /v1/mcp-servers/{id}/tools':
      needs(mcp);
      // Its own server is listed live: the guard refuses the loopback URL before any connection.
      probe.expect = mcp.owner === 'own' ? ['422:OUTBOUND_BLOCKED'] : NOT_FOUND('MCP_SERVER_NOT_FOUND');
      return probe;
    case 'PATCH /v1/mcp-servers/{id}': {
      needs(mcp);
      const bodies: [unknown, boolean][] = [
        [{ url: 'http://127.0.0.1:65535/other' }, true],
        [{ name: 'renamed' }, true],
        [{ url: 'http://127.0.0.1:65535/other', tenant_id: victim.id }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = NOT_FOUND('MCP_SERVER_NOT_FOUND');
      return probe;
    }
    case 'DELETE /v1/mcp-servers/{id}':
    case 'DELETE /v1/mcp-servers/{id}/credentials/{user_id}':
      needs(mcp);
      if (op.includes('{user_id}')) needs(user);
      probe.expect = NOT_FOUND('MCP_SERVER_NOT_FOUND');
      return probe;
    case 'PUT /v1/mcp-servers/{id}/credentials/{user_id}':
      needs(mcp, user);
      probe.payload = pick<unknown>(
        [{ credential: text }, { credential: text }, { credential: text, tenant_id: victim.id }],
        variant,
      );
      probe.wellFormed &&= variant % 3 < 2 && text.length > 0 && text.length <= 8_000;
      probe.expect = NOT_FOUND('MCP_SERVER_NOT_FOUND');
      return probe;
    case 'GET /v1/config':
      return probe;
    case 'PATCH /v1/config': {
      const bodies: [unknown, boolean, Outcome[]][] = [
        [{ systemPrompt: text }, true, ['200']],
        [{ language: 'de', contextBudgetTokens: 2000 }, true, ['200']],
        [{ jwt: { secret: `forged-${'s'.repeat(40)}` } }, true, ['403:INSUFFICIENT_SCOPE']],
        [{ limits: { requestsPerMinute: 1 } }, true, ['403:INSUFFICIENT_SCOPE']],
        // Not a config field: 422 naming it, whoever sends it (issue #16 item 9).
        [{ tenant_id: victim.id, systemPrompt: text }, false, []],
        [{ systemPrompt: 42 }, false, []],
        [[], false, []],
      ];
      const [payload, wellFormed, expect] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = expect;
      if (expect[0] === '200') probe.write = { kind: 'config' };
      return probe;
    }
    case 'GET /v1/config/versions':
      withQuery(listQuery(variant, pick(victim.configVersions, n), 100));
      return probe;
    case 'POST /v1/config/rollback': {
      // Versions count per tenant, so "the victim's version" names one of the attacker's own.
      // A tenant with its own JWT trust never rolls back: that would drop the trust the run relies on.
      const version = own.jwtSecret ? 1e9 + n : pick([...victim.configVersions, 0, n, 1e9], variant);
      // Versions start at 1: version 0 (the defaults) is no version and is refused as malformed.
      const bodies: [unknown, boolean][] = [
        [{ version }, version >= 1],
        [{ version }, version >= 1],
        [{ version, tenant_id: victim.id }, false],
        [{ version: -1 }, false],
        [{ version: '1' }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = ['200', '404:CONFIG_VERSION_NOT_FOUND'];
      probe.write = { kind: 'config' };
      return probe;
    }
    case 'POST /v1/keys': {
      const bodies: [unknown, boolean][] = [
        [{ name: text }, true],
        [{ name: text, scopes: ['history:read'] }, true],
        [{ name: text, scopes: ['admin'] }, false],
        [{ name: text, tenant_id: victim.id }, false],
        [{ name: text, expires_at: '2000-01-01T00:00:00Z' }, false],
      ];
      const [payload, wellFormed] = pick(bodies, variant);
      probe.payload = payload;
      probe.wellFormed &&= wellFormed;
      probe.expect = ['201'];
      probe.write = { kind: 'key' };
      return probe;
    }
    case 'GET /v1/keys':
      withQuery(listQuery(variant, pick(victim.keyIds, n), 100));
      return probe;
    case 'DELETE /v1/keys/{key_id}':
      needs(key);
      probe.expect = NOT_FOUND('KEY_NOT_FOUND');
      return probe;
    case 'GET /v1/usage':
      withQuery(usageQuery(variant));
      return probe;
    case 'GET /v1/usage/records':
      withQuery(listQuery(variant, `use_${pick(victim.sessions, n).slice(4)}`, 1000));
      return probe;
    case 'GET /v1/secrets':
    case 'GET /v1/audit':
      return probe;
    case 'PUT /v1/secrets/{name}':
      needs(secret);
      probe.payload = pick<unknown>(
        [{ value: text }, { value: text }, { value: '' }, { value: text, tenant_id: victim.id }],
        variant,
      );
      probe.wellFormed &&= variant % 4 < 2;
      probe.expect = ['204'];
      probe.write = { kind: 'secret-put', name: secret.value };
      return probe;
    case 'DELETE /v1/secrets/{name}':
      needs(secret);
      // The victim's name is never the attacker's; any other may be (the shared one, one it stored).
      probe.expect = secret.owner === 'other' ? NOT_FOUND('SECRET_NOT_FOUND') : ['204', '404:SECRET_NOT_FOUND'];
      probe.write = { kind: 'secret-delete', name: secret.value };
      return probe;
    case 'DELETE /v1/users/{user_id}':
      // Erasing the victim's end user from the attacker's tenant erases nothing, in either.
      needs(user);
      probe.expect = ['200'];
      probe.write = { kind: 'erase' };
      return probe;
    case 'POST /mcp': {
      // MCP answers 200 with the JSON-RPC result or error inside, so every probe is well formed:
      // an id that is no id of its kind is replaced by a look-alike (a malformed one is covered by
      // test/http/mcp-server.test.ts). A tool call never names the attacker's own session, so that
      // no probe runs a turn (its own agent with a foreign session is the interesting case).
      const sessionId = session.wellFormed && session.owner !== 'own' ? session.value : lookalikeId('ses');
      const agentId = agent.wellFormed ? agent.value : lookalikeAgentId();
      probe.headers.accept = 'application/json, text/event-stream';
      probe.payload = pick<unknown>(
        [
          {
            jsonrpc: '2.0',
            id: n,
            method: 'tools/call',
            params: { name: agentId, arguments: { message: text, session_id: sessionId } },
          },
          {
            jsonrpc: '2.0',
            id: n,
            method: 'tools/call',
            params: {
              name: pick([...own.agentIds, 'default'], n),
              arguments: { message: text, session_id: sessionId },
            },
          },
          { jsonrpc: '2.0', id: n, method: 'resources/read', params: { uri: `enclave://sessions/${sessionId}` } },
          { jsonrpc: '2.0', id: n, method: 'tools/list' },
          { jsonrpc: '2.0', id: n, method: 'resources/list' },
          {
            jsonrpc: '2.0',
            id: n,
            method: 'resources/list',
            params: { cursor: cursorOf(pick(victim.sessions, n)) },
          },
        ],
        variant,
      );
      probe.expect = ['200'];
      return probe;
    }
    case 'POST /v1/conversations':
      // The attacker's own new conversation; a body naming a tenant is refused (strict), whoever sends it.
      probe.payload = pick<unknown>([{ metadata: { note: text } }, { tenant_id: victim.id }], variant);
      probe.wellFormed &&= variant % 2 === 0;
      probe.write = { kind: 'session' };
      return probe;
    case 'GET /v1/conversations/{id}':
    case 'GET /v1/conversations/{id}/items':
      needs(session);
      probe.expect = session.owner === 'own' ? ['200'] : NOT_FOUND('SESSION_NOT_FOUND');
      return probe;
    case 'POST /v1/conversations/{id}':
    case 'POST /v1/conversations/{id}/items':
    case 'DELETE /v1/conversations/{id}': {
      // Writes never aim at the attacker's own conversations (that would be its own business).
      if (session.owner === 'own') session = { value: lookalikeId('ses'), raw: true, wellFormed: true, owner: 'none' };
      probe.url = template.replace('{id}', segment(session));
      probe.reroutes = probe.url.split('/').some(isDotSegment);
      needs(session);
      if (verb === 'POST') {
        probe.payload = op.endsWith('items')
          ? { items: [{ type: 'message', role: 'user', content: text }] }
          : { metadata: { note: text } };
      }
      probe.expect = NOT_FOUND('SESSION_NOT_FOUND');
      return probe;
    }
    case 'GET /v1/conversations/{id}/items/{item_id}':
    case 'DELETE /v1/conversations/{id}/items/{item_id}': {
      // Item ids are message ids: the turn ids (user messages) of the victim, or made-up ones.
      const item = resolveId(spec.key, victim.turnIds, own.turnIds, OPENAI_ID, false);
      const ownItem = item.owner === 'own' && session.owner === 'own' && verb === 'GET';
      probe.url = template.replace('{id}', segment(session)).replace('{item_id}', segment(item));
      probe.reroutes = probe.url.split('/').some(isDotSegment);
      needs(session, item);
      // An own turn id in an own session may name an item there; any other pair answers as missing.
      probe.expect = ownItem ? ['200', ...NOT_FOUND('ITEM_NOT_FOUND')] : NOT_FOUND('ITEM_NOT_FOUND');
      return probe;
    }
    case 'GET /v1/responses/{id}':
    case 'GET /v1/responses/{id}/input_items':
    case 'POST /v1/responses/{id}/cancel':
    case 'DELETE /v1/responses/{id}': {
      let response = resolveId(spec.session, victim.responseIds, own.responseIds, OPENAI_ID, false);
      if (response.owner === 'own' && verb === 'DELETE') {
        response = { value: lookalikeId('resp'), raw: true, wellFormed: true, owner: 'none' };
      }
      probe.url = template.replace('{id}', segment(response));
      probe.reroutes = probe.url.split('/').some(isDotSegment);
      needs(response);
      const mine = response.owner === 'own';
      // The attacker's own responses are found; none ran in the background, so none can be cancelled.
      probe.expect = !mine
        ? NOT_FOUND('RESPONSE_NOT_FOUND')
        : verb === 'POST'
          ? ['409:RESPONSE_NOT_CANCELLABLE']
          : ['200'];
      return probe;
    }
    case 'POST /v1/responses': {
      // Continuing another tenant's response or conversation answers as a missing one; the attacker's
      // own conversation gets a turn (its own responses are not chained: that would branch them).
      let previous = resolveId(spec.key, victim.responseIds, own.responseIds, OPENAI_ID, false);
      if (previous.owner === 'own')
        previous = { value: lookalikeId('resp'), raw: true, wellFormed: true, owner: 'none' };
      const chained = variant % 2 === 0;
      const reference = chained ? previous : session;
      probe.payload = chained
        ? { model: 'default', input: text, previous_response_id: previous.value }
        : { model: 'default', input: text, conversation: session.value };
      // A raw value is percent-encoded in a path; in a body it is sent as it is.
      probe.wellFormed &&= OPENAI_ID.test(reference.value);
      if (!chained && session.owner === 'own' && reference.wellFormed) {
        probe.expect = ['200'];
        probe.write = { kind: 'turn', session: session.value };
      } else {
        probe.expect = NOT_FOUND(chained ? 'RESPONSE_NOT_FOUND' : 'SESSION_NOT_FOUND');
      }
      return probe;
    }
    case 'GET /healthz':
    case 'GET /readyz':
      probe.area = 'public';
      return probe;
    case 'POST /v1/mcp-servers/{id}/oauth/authorize':
    case 'GET /v1/mcp-servers/{id}/oauth':
    case 'DELETE /v1/mcp-servers/{id}/oauth':
      needs(mcp);
      if (verb === 'POST') {
        // No user_id: a JWT naming its end user may name only that user (422 otherwise, for every tenant alike).
        probe.payload = pick<unknown>([{}, {}, { tenant_id: victim.id }], variant);
        probe.wellFormed &&= variant % 3 < 2;
      }
      // The fixture's servers use no OAuth: its own answers that, any other id is missing.
      probe.expect = mcp.owner === 'own' ? ['409:MCP_OAUTH_NOT_APPLICABLE'] : NOT_FOUND('MCP_SERVER_NOT_FOUND');
      return probe;
    case 'GET /v1/mcp-servers/oauth/callback':
      // Public (a browser redirect): the state is the credential, and no probe holds one.
      probe.area = 'public';
      probe.url = `${path}?state=${encodeURIComponent(`${Buffer.from(victim.id).toString('base64url')}.${text.slice(0, 40) || 'x'}`)}&code=c`;
      probe.expect = ['400:MCP_OAUTH_STATE_INVALID'];
      return probe;
    case 'GET /metrics':
      // Operator data: a tenant credential gets 403 whatever else it sends.
      probe.area = 'admin';
      probe.expect = ['403:ADMIN_REQUIRED'];
      return probe;
    default:
      break;
  }

  // Admin routes and paths that are no route: the tenant, key, secret and user in the path must be well formed.
  if (template.includes('{tenant_id}')) needs(tenant);
  if (template.includes('{key_id}')) needs(key);
  if (template.includes('{name}')) needs(secret);
  if (template.includes('{user_id}')) needs(user);
  if (template.includes('{id}')) needs(session);
  if (template.includes('{agent_id}')) needs(agent);
  if (template.includes('/mcp-servers/{id}')) needs(mcp);
  probe.expect = probe.area === 'none' ? NOT_FOUND('ROUTE_NOT_FOUND') : ['403:ADMIN_REQUIRED'];
  if (verb === 'POST' || verb === 'PATCH' || verb === 'PUT') {
    probe.payload = pick<unknown>(
      [
        { id: tenant.value, name: text },
        { name: text },
        { systemPrompt: text },
        { jwt: { secret: `forged-${'s'.repeat(40)}` } },
        { version: n + 1 },
        { value: text },
        { credential: text },
        { name: text, url: 'http://127.0.0.1:65535/mcp' },
        { user_id: 'u1' },
      ],
      variant,
    );
    const body = probe.payload as Record<string, unknown>;
    const bodyFits: Partial<Record<Operation, boolean>> = {
      'POST /v1/admin/tenants':
        'id' in body && tenant.wellFormed && !('name' in body && String(body.name).length > 200),
      'PATCH /v1/admin/tenants/{tenant_id}': Object.keys(body).join() === 'name',
      'PATCH /v1/admin/tenants/{tenant_id}/config': true,
      'POST /v1/admin/tenants/{tenant_id}/config/rollback':
        Object.keys(body).join() === 'version' && Number(body.version) >= 1,
      'POST /v1/admin/tenants/{tenant_id}/keys': Object.keys(body).join() === 'name',
      'PUT /v1/admin/tenants/{tenant_id}/secrets/{name}': Object.keys(body).join() === 'value',
      'POST /v1/admin/tenants/{tenant_id}/agents': Object.keys(body).join() === 'name',
      'PATCH /v1/admin/tenants/{tenant_id}/agents/{agent_id}': Object.keys(body).join() === 'name',
      'POST /v1/admin/tenants/{tenant_id}/mcp-servers': Object.keys(body).join() === 'name,url',
      'PATCH /v1/admin/tenants/{tenant_id}/mcp-servers/{id}': Object.keys(body).join() === 'name',
      'PUT /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/credentials/{user_id}':
        Object.keys(body).join() === 'credential',
      'POST /v1/admin/tenants/{tenant_id}/mcp-servers/{id}/oauth/authorize': Object.keys(body).join() === 'user_id',
    };
    if (probe.area === 'admin' && op in bodyFits) probe.wellFormed &&= bodyFits[op] === true;
    if (op === 'POST /v1/admin/tenants') probe.wellFormed &&= tenant.wellFormed;
  }
  if (op === 'POST /v1/admin/tenants' && probe.payload && !('id' in (probe.payload as object))) {
    probe.wellFormed = false;
  }
  return probe;
}
