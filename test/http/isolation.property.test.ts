import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  ALL_SCOPES,
  call,
  hasWrites,
  isolationEnv,
  MASTER_KEY,
  type Needle,
  noWrites,
  type OwnWrites,
  PLATFORM_SECRET,
  readState,
  seedTenant,
  signJwt,
  swapPayload,
  type TenantFixture,
  type TenantState,
  TRUST_TENANT_CLAIM,
  tenantJwt,
  unexplainedChanges,
  unsignedJwt,
} from '../helpers/isolation-fixtures.ts';
import {
  buildProbe,
  lookalikeAgentId,
  lookalikeId,
  lookalikeTenant,
  NOT_ROUTES,
  OPERATIONS,
  type Operation,
  type Outcome,
  type Probe,
  type ProbeSpec,
  probeSpec,
} from '../helpers/isolation-probes.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * Tenant isolation, randomized: an attacker tenant A, holding its own credential (or a forged
 * one), sends requests on every route aimed at a victim tenant B. Nothing of B may come back, a
 * B id must answer exactly like a random id of the same shape, and nothing may land in B.
 */

const RUNS = Number(process.env.ISOLATION_RUNS ?? 2000);
const SEED = process.env.ISOLATION_SEED === undefined ? undefined : Number(process.env.ISOLATION_SEED);
const ATTACKERS = 6;

let t: TestApp;
/** tenants[0] has its own JWT trust; the last one is only ever a victim (its state must not move at all). */
let tenants: TenantFixture[];
const trusted = () => tenants[0] as TenantFixture;

beforeAll(async () => {
  t = await createTestApp(isolationEnv());
  tenants = [];
  for (let index = 0; index <= ATTACKERS; index++) tenants.push(await seedTenant(t, index, index === 0));
}, 60_000);
afterAll(async () => {
  await t?.dispose();
});

// --- credentials ---------------------------------------------------------------------------------

const CREDENTIALS = [
  'api-key',
  'api-key + Tenant-ID: own',
  'api-key + Tenant-ID: victim',
  'jwt',
  'jwt + Tenant-ID: victim',
  'platform jwt',
  'jwt naming victim, signed with a tenant trust secret',
  'jwt naming victim, random secret',
  'jwt naming victim, alg none',
  'own jwt with the payload swapped for the victim',
  'own trust jwt naming victim in the claim the trust reads',
  'victim revoked key',
  'victim key with a typo',
  'no credential',
  'console cookie',
  'console cookie + Tenant-ID: victim',
] as const;
type CredentialKind = (typeof CREDENTIALS)[number];
const CREDENTIAL_WEIGHTS: Record<CredentialKind, number> = {
  'api-key': 5,
  'api-key + Tenant-ID: own': 2,
  'api-key + Tenant-ID: victim': 3,
  jwt: 3,
  'jwt + Tenant-ID: victim': 1,
  'platform jwt': 2,
  'jwt naming victim, signed with a tenant trust secret': 1,
  'jwt naming victim, random secret': 1,
  'jwt naming victim, alg none': 1,
  'own jwt with the payload swapped for the victim': 1,
  'own trust jwt naming victim in the claim the trust reads': 1,
  'victim revoked key': 1,
  'victim key with a typo': 1,
  'no credential': 1,
  'console cookie': 3,
  'console cookie + Tenant-ID: victim': 1,
};

/** The attacker's console session (signed in with its API key once), as the console's own requests send it. */
const consoleSessions = new Map<string, { cookie: string; csrf: string }>();
async function consoleSession(attacker: TenantFixture): Promise<{ cookie: string; csrf: string }> {
  let session = consoleSessions.get(attacker.id);
  if (!session) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/console/api/session',
      payload: { key: attacker.apiKey },
    });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']).split(';')[0] as string;
    session = { cookie, csrf: response.json().csrf_token as string };
    consoleSessions.set(attacker.id, session);
  }
  return session;
}

interface Credential {
  headers: Record<string, string>;
  /** Authenticates as the attacker. */
  valid: boolean;
  /** Sends `Tenant-ID` naming the victim. */
  victimHeader: boolean;
  /** Decoded token claims, which may name the victim (for the "request contained it" check). */
  claims: string;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const claimsOf = (token: string) => Buffer.from(token.split('.')[1] ?? '', 'base64url').toString();

/** The credential of a kind, for an attacker and a victim tenant id (a real one, or a lookalike). */
async function credential(kind: CredentialKind, attacker: TenantFixture, victimId: string, victim: TenantFixture) {
  const forged = { tenant_id: victimId, sub: `jwt-user-${victimId}`, scope: ALL_SCOPES };
  const jwt = async (claims: Record<string, unknown>, secret: string, valid: boolean): Promise<Credential> => {
    const token = await signJwt(claims, secret);
    return { headers: bearer(token), valid, victimHeader: false, claims: claimsOf(token) };
  };
  const key = (token: string, valid: boolean, header?: string): Credential => ({
    headers: { ...bearer(token), ...(header === undefined ? {} : { 'tenant-id': header }) },
    valid,
    victimHeader: header === victimId,
    claims: '',
  });
  switch (kind) {
    case 'api-key':
      return key(attacker.apiKey, true);
    case 'api-key + Tenant-ID: own':
      return key(attacker.apiKey, true, attacker.id);
    case 'api-key + Tenant-ID: victim':
      return key(attacker.apiKey, true, victimId);
    case 'jwt':
    case 'jwt + Tenant-ID: victim': {
      const token = await tenantJwt(attacker);
      const header = kind === 'jwt' ? {} : { 'tenant-id': victimId };
      return { headers: { ...bearer(token), ...header }, valid: true, victimHeader: kind !== 'jwt', claims: '' };
    }
    case 'platform jwt':
      // A tenant with its own trust accepts only tokens signed with it, never the platform's.
      return jwt(
        { tenant_id: attacker.id, sub: attacker.jwtSubject, scope: ALL_SCOPES },
        PLATFORM_SECRET,
        attacker.jwtSecret === null,
      );
    case 'jwt naming victim, signed with a tenant trust secret': {
      const secret = victimId === trusted().id ? `random-${randomBytes(20).toString('hex')}` : trusted().jwtSecret;
      return jwt(forged, secret ?? '', false);
    }
    case 'jwt naming victim, random secret':
      return jwt(forged, `random-${randomBytes(20).toString('hex')}`, false);
    case 'jwt naming victim, alg none': {
      const token = unsignedJwt(forged);
      return { headers: bearer(token), valid: false, victimHeader: false, claims: claimsOf(token) };
    }
    case 'own jwt with the payload swapped for the victim': {
      const token = swapPayload(await tenantJwt(attacker), forged);
      return { headers: bearer(token), valid: false, victimHeader: false, claims: claimsOf(token) };
    }
    case 'own trust jwt naming victim in the claim the trust reads': {
      // Signed by the trust that verifies it, naming A where the trust is chosen and B where it is read.
      // Without a trust of its own the attacker holds a platform token, where the extra claim means nothing.
      const claims = {
        tenant_id: attacker.id,
        [TRUST_TENANT_CLAIM]: victimId,
        sub: attacker.jwtSubject,
        scope: ALL_SCOPES,
      };
      const token = await signJwt(claims, attacker.jwtSecret ?? PLATFORM_SECRET);
      return {
        headers: bearer(token),
        valid: attacker.jwtSecret === null,
        victimHeader: false,
        claims: claimsOf(token),
      };
    }
    case 'victim revoked key':
      return key(victim.revokedKey, false);
    case 'victim key with a typo': {
      const typo = victim.apiKey.slice(0, 10) + (victim.apiKey[10] === 'A' ? 'B' : 'A') + victim.apiKey.slice(11);
      return key(typo, false);
    }
    case 'no credential':
      return { headers: {}, valid: false, victimHeader: false, claims: '' };
    case 'console cookie':
    case 'console cookie + Tenant-ID: victim': {
      // Exactly the attacker key's principal: the cookie, the CSRF token and a same-origin fetch.
      const session = await consoleSession(attacker);
      const header: Record<string, string> = kind === 'console cookie' ? {} : { 'tenant-id': victimId };
      const headers: Record<string, string> = {
        cookie: session.cookie,
        'x-csrf-token': session.csrf,
        'sec-fetch-site': 'same-origin',
        ...header,
      };
      return {
        headers,
        valid: true,
        victimHeader: kind !== 'console cookie',
        claims: '',
      };
    }
  }
}

// --- what an answer may be -----------------------------------------------------------------------

interface Observed {
  status: number;
  code: string | undefined;
  body: string;
  headers: string;
  contentType: string;
}

async function send(probe: Probe, cred: Credential): Promise<Observed> {
  const response = await t.app.inject({
    method: probe.method,
    url: probe.url,
    headers: { ...probe.headers, ...cred.headers },
    ...(probe.payload === undefined ? {} : { payload: probe.payload as object }),
  });
  let code: string | undefined;
  try {
    // problem+json has `code`; the OpenAI-compatible routes answer `{error: {code}}` (the same code, lower case).
    const parsed = JSON.parse(response.body) as { code?: string; error?: { code?: unknown } };
    code = parsed.code ?? (typeof parsed.error?.code === 'string' ? parsed.error.code.toUpperCase() : undefined);
  } catch {}
  return {
    status: response.statusCode,
    code,
    body: response.body,
    headers: JSON.stringify(response.headers),
    contentType: String(response.headers['content-type'] ?? ''),
  };
}

/** The router answers a path it cannot decode, or an over-long parameter, before any hook runs (as problem+json). */
const ROUTER_ERRORS = ['422:VALIDATION_FAILED'];

type Allowed = Outcome[] | 'client-error' | 'not-5xx';

/** Allowed outcomes, or 'client-error' (any 4xx) for a request that is invalid whoever sends it. */
function allowed(probe: Probe, cred: Credential): Allowed {
  if (probe.area === 'public') return probe.expect;
  if (!cred.valid) return probe.wellFormed ? ['401:UNAUTHENTICATED'] : ['401:UNAUTHENTICATED', ...ROUTER_ERRORS];
  if (probe.reroutes) return 'not-5xx';
  if (!probe.wellFormed) return 'client-error';
  if (probe.area === 'admin') return ['403:ADMIN_REQUIRED'];
  // A path that exists for other methods answers 405 (with Allow); either way the same for every tenant.
  if (probe.area === 'none') return ['404:ROUTE_NOT_FOUND', '405:METHOD_NOT_ALLOWED'];
  // The legacy routes too: a Tenant-ID naming another tenant than the body's or path's is refused.
  if ((probe.area === 'tenant' || probe.area === 'legacy') && cred.victimHeader) return ['403:TENANT_MISMATCH'];
  return probe.expect;
}

function matches(observed: Observed, method: string, outcomes: Allowed): boolean {
  if (outcomes === 'not-5xx') return observed.status < 500;
  if (outcomes === 'client-error') return observed.status >= 400 && observed.status < 500;
  return outcomes.some((outcome) => {
    const [status, code] = outcome.split(':');
    return String(observed.status) === status && (code === undefined || method === 'HEAD' || observed.code === code);
  });
}

const safeDecode = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/** Everything the request itself said, decoded: what the answer may echo back. */
function requestText(probe: Probe, cred: Credential): string {
  const cursors = [...probe.url.matchAll(/cursor=([A-Za-z0-9_-]+)/g)].map((match) =>
    Buffer.from(match[1] ?? '', 'base64url').toString(),
  );
  return [
    probe.url,
    safeDecode(probe.url),
    JSON.stringify(probe.payload ?? null),
    JSON.stringify({ ...probe.headers, ...cred.headers }),
    cred.claims,
    ...cursors,
  ].join('\n');
}

/**
 * The attacker's own audit log records what the attacker sent earlier (an erased user id, a key
 * name): its `target` and `details` are the attacker's own words, not the victim's data. Every
 * other field (entry ids, actors, actions) is still checked, so a victim's entry would show.
 */
function withoutEchoedAuditText(probe: Probe, observed: Observed): Observed {
  if (probe.op !== 'GET /v1/audit' || observed.status !== 200 || observed.body === '') return observed;
  const page = JSON.parse(observed.body) as { data: Record<string, unknown>[] };
  const data = page.data.map(({ target: _target, details: _details, ...rest }) => rest);
  return { ...observed, body: JSON.stringify({ ...page, data }) };
}

function leaks(observed: Observed, sent: string, needles: Needle[]): string[] {
  const text = `${observed.body}\n${observed.headers}`;
  return needles
    .filter((needle) => text.includes(needle.value) && !sent.includes(needle.value))
    .map((needle) => `${needle.what} ${needle.value}`);
}

// --- the twin request: the same, with every victim id swapped for a lookalike ----------------------

type Pairs = [real: string, fake: string][];

function lookalikes(victim: TenantFixture): Pairs {
  const pairs: Pairs = [[victim.id, lookalikeTenant()]];
  for (const id of victim.sessions) pairs.push([id, lookalikeId('ses')]);
  for (const id of victim.keyIds) pairs.push([id, lookalikeId('key')]);
  for (const id of victim.agentIds) pairs.push([id, lookalikeAgentId()]);
  for (const name of victim.secretNames.filter((name) => name.startsWith('only.'))) {
    pairs.push([name, `only.${randomBytes(6).toString('hex')}`]);
  }
  return [...pairs, ...pairs.map(([real, fake]): [string, string] => [real.toLowerCase(), fake.toLowerCase()])];
}

const swap = (text: string, pairs: Pairs, back = false) =>
  pairs.reduce((out, [real, fake]) => (back ? out.replaceAll(fake, real) : out.replaceAll(real, fake)), text);

function twinProbe(probe: Probe, pairs: Pairs): Probe {
  return {
    ...probe,
    url: swap(probe.url, pairs),
    headers: JSON.parse(swap(JSON.stringify(probe.headers), pairs)) as Record<string, string>,
    ...(probe.payload === undefined ? {} : { payload: JSON.parse(swap(JSON.stringify(probe.payload), pairs)) }),
  };
}

/** The twin's answer is compared after swapping its lookalikes back. */
const comparable = (observed: Observed, pairs: Pairs) => ({
  status: observed.status,
  contentType: observed.contentType,
  body: swap(observed.body, pairs, true).replace(/"request_id":"[^"]*"/g, '"request_id":"…"'),
});

// --- the property --------------------------------------------------------------------------------

const ledger = new Map<string, OwnWrites>();
const ownWrites = (tenant: TenantFixture) => {
  let own = ledger.get(tenant.id);
  if (!own) {
    own = noWrites();
    ledger.set(tenant.id, own);
  }
  return own;
};

/** Where a path with dot segments lands once they are resolved (as the router resolves them). */
const SESSION_CREATES = ['/v1/sessions', '/v1/conversations'];
const reroutedWrite = (probe: Probe): Probe['write'] => {
  if (!probe.reroutes || probe.method !== 'POST') return undefined;
  const path = new URL(probe.url, 'http://localhost').pathname.replace(/\/+$/, '');
  return SESSION_CREATES.includes(path) ? { kind: 'session' } : undefined;
};

function recordWrite(probe: Probe, attacker: TenantFixture, observed: Observed) {
  // `POST /v1/conversations/.` is `POST /v1/conversations`: the attacker's own new conversation.
  const write = probe.write ?? reroutedWrite(probe);
  if (observed.status >= 300 || !write) return;
  const own = ownWrites(attacker);
  switch (write.kind) {
    case 'session':
      own.sessionsCreated.add(String((JSON.parse(observed.body) as { id: string }).id));
      return;
    case 'key':
      own.keysCreated.add(String((JSON.parse(observed.body) as { id: string }).id));
      own.auditEntries++;
      return;
    case 'config':
      own.configWrites++;
      own.auditEntries++;
      return;
    case 'turn':
      own.turns++;
      own.sessionsWithTurns.add(write.session);
      return;
    case 'secret-put':
      own.secretsPut.add(write.name);
      own.auditEntries++;
      return;
    case 'secret-delete':
      own.secretsDeleted.add(write.name);
      own.auditEntries++;
      return;
    case 'erase':
      own.erasures++;
      own.auditEntries++;
      return;
  }
}

const stats = {
  ops: new Map<Operation, number>(),
  credentials: new Map<CredentialKind, number>(),
  statuses: new Map<number, number>(),
  twins: 0,
  requests: 0,
  successes: 0,
};
const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

const globalNeedles: Needle[] = [
  { what: 'admin key', value: ADMIN_KEY },
  { what: 'platform jwt secret', value: PLATFORM_SECRET },
  { what: 'master key', value: MASTER_KEY },
];

const describeRequest = (kind: CredentialKind, probe: Probe) =>
  `${kind}: ${probe.method} ${probe.url}${probe.payload === undefined ? '' : ` ${JSON.stringify(probe.payload)}`}${
    Object.keys(probe.headers).length ? ` ${JSON.stringify(probe.headers)}` : ''
  }`;

async function attack(sample: { attacker: number; victimOffset: number; kind: CredentialKind; spec: ProbeSpec }) {
  const attacker = tenants[sample.attacker] as TenantFixture;
  const victim = tenants[(sample.attacker + 1 + sample.victimOffset) % tenants.length] as TenantFixture;
  const probe = buildProbe(sample.spec, attacker, victim);
  const cred = await credential(sample.kind, attacker, victim.id, victim);
  const observed = await send(probe, cred);
  recordWrite(probe, attacker, observed);
  stats.requests++;
  bump(stats.ops, probe.op);
  bump(stats.credentials, sample.kind);
  bump(stats.statuses, observed.status);
  if (observed.status < 300) stats.successes++;
  const what = () => `${describeRequest(sample.kind, probe)}\n  -> ${observed.status} ${observed.body.slice(0, 400)}`;

  if (observed.status >= 500) throw new Error(`5xx: ${what()}`);
  const outcomes = allowed(probe, cred);
  if (!matches(observed, probe.method, outcomes)) {
    throw new Error(`unexpected answer (allowed ${JSON.stringify(outcomes)}): ${what()}`);
  }
  const needles = [
    ...globalNeedles,
    ...tenants.filter((other) => other !== attacker).flatMap((other) => other.needles),
  ];
  const sent = requestText(probe, cred);
  const leaked = leaks(withoutEchoedAuditText(probe, observed), sent, needles);
  if (leaked.length > 0) throw new Error(`leaked ${leaked.join(', ')}: ${what()}`);

  // Existence must not leak: the victim's real ids answer exactly like lookalikes.
  const pairs = lookalikes(victim);
  const mentionsVictim = cred.claims.includes(victim.id) || pairs.some(([real]) => sent.includes(real));
  // A write that succeeded acted on the attacker's own data (the victim was named where it means
  // nothing, say a token claim no trust reads): repeating it is no existence probe, as it is not
  // idempotent (new ids, a deleted secret). Erasure is, so its twin still runs.
  const write = probe.write ?? reroutedWrite(probe);
  const ownWrite = write !== undefined && write.kind !== 'erase' && observed.status < 300;
  if (!mentionsVictim || ownWrite) return;
  const twin = twinProbe(probe, pairs);
  const fakeTenant = (pairs[0] as [string, string])[1];
  const twinCred = await credential(sample.kind, attacker, fakeTenant, victim);
  const twinObserved = await send(twin, twinCred);
  recordWrite(twin, attacker, twinObserved);
  stats.twins++;
  stats.requests++;
  const twinLeaks = leaks(withoutEchoedAuditText(twin, twinObserved), requestText(twin, twinCred), needles);
  if (twinLeaks.length > 0) throw new Error(`lookalike request leaked ${twinLeaks.join(', ')}: ${what()}`);
  const real = comparable(observed, []);
  const fake = comparable(twinObserved, pairs);
  if (JSON.stringify(real) !== JSON.stringify(fake)) {
    throw new Error(
      `a victim id answers unlike a lookalike: ${what()}\n  lookalike ${describeRequest(sample.kind, twin)}\n  -> ${
        twinObserved.status
      } ${twinObserved.body.slice(0, 400)}`,
    );
  }
}

describe('tenant isolation (property)', () => {
  it('covers every route of the OpenAPI document', async () => {
    const spec = (await call(t, 'GET', '/openapi.json', {})).json as { paths: Record<string, Record<string, unknown>> };
    // The console sign-in routes take no tenant and are public; console-session.test.ts covers them
    // (and the cookie they set is one of the attacker credentials below).
    const documented = Object.entries(spec.paths)
      .filter(([path]) => !path.startsWith('/console/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    const probed = OPERATIONS.filter((op) => !NOT_ROUTES.includes(op));
    expect([...documented].sort()).toEqual([...probed].sort());
  });

  it(`an attacker tenant reaches nothing of another tenant (${RUNS} runs)`, async () => {
    const before = new Map<string, TenantState>();
    for (const tenant of tenants) before.set(tenant.id, await readState(t, tenant.id, true));
    const started = performance.now();

    const sample = fc.record({
      attacker: fc.nat(ATTACKERS - 1),
      victimOffset: fc.nat(ATTACKERS - 1),
      kind: fc.oneof(
        ...CREDENTIALS.map((kind) => ({ arbitrary: fc.constant(kind), weight: CREDENTIAL_WEIGHTS[kind] })),
      ),
      spec: probeSpec,
    });
    await fc.assert(fc.asyncProperty(sample, attack), {
      numRuns: RUNS,
      ...(SEED === undefined ? {} : { seed: SEED }),
    });

    const elapsed = Math.round(performance.now() - started);
    if (process.env.ISOLATION_VERBOSE) {
      console.info(
        JSON.stringify({
          runs: RUNS,
          ms: elapsed,
          ...stats,
          ops: Object.fromEntries(stats.ops),
          credentials: Object.fromEntries(stats.credentials),
          statuses: Object.fromEntries(stats.statuses),
        }),
      );
    }
    if (RUNS >= 500) {
      // Not vacuous: every route, every credential, and the attacker's own data answered 2xx.
      expect(OPERATIONS.filter((op) => !stats.ops.has(op))).toEqual([]);
      expect(CREDENTIALS.filter((kind) => !stats.credentials.has(kind))).toEqual([]);
      expect(stats.successes).toBeGreaterThan(RUNS / 20);
      expect(stats.twins).toBeGreaterThan(RUNS / 4);
    }

    // No write landed anywhere but in the attacker's own tenant, and there only what it was told it did.
    const problems: string[] = [];
    for (const tenant of tenants) {
      const after = await readState(t, tenant.id, false);
      problems.push(...unexplainedChanges(tenant, before.get(tenant.id) as TenantState, after, ownWrites(tenant)));
    }
    expect(problems).toEqual([]);
    // The last tenant never attacked: it must be exactly as before.
    expect(hasWrites(ownWrites(tenants[ATTACKERS] as TenantFixture))).toBe(false);
  }, 120_000);
});

// --- focused examples ----------------------------------------------------------------------------

/** A well-formed request for an operation, aimed at the victim's real ids. */
function wellFormedProbe(op: Operation, attacker: TenantFixture, victim: TenantFixture): Probe {
  for (let variant = 0; variant < 12; variant++) {
    const probe = buildProbe(
      {
        op,
        head: false,
        tenant: { kind: 'victim' },
        session: { kind: 'victim', pick: 0 },
        key: { kind: 'victim', pick: 0 },
        text: 'example',
        n: 0,
        variant,
      },
      attacker,
      victim,
    );
    if (probe.wellFormed) return probe;
  }
  throw new Error(`no well-formed request for ${op}`);
}

/** Public /v1 routes take no credential (the MCP OAuth callback: its single-use state is one). */
const PUBLIC_V1: readonly Operation[] = ['GET /v1/mcp-servers/oauth/callback'];
const tenantRoutes = () =>
  OPERATIONS.filter((op) => / \/v1\/(?!admin)/.test(op) && !NOT_ROUTES.includes(op) && !PUBLIC_V1.includes(op));
const adminRoutes = () => OPERATIONS.filter((op) => op.includes(' /v1/admin') && !NOT_ROUTES.includes(op));

describe('tenant isolation (examples)', () => {
  it("refuses a JWT naming B signed with A's own tenant trust secret", async () => {
    const attacker = trusted();
    for (const victim of tenants.slice(1)) {
      const token = await signJwt(
        { tenant_id: victim.id, [TRUST_TENANT_CLAIM]: victim.id, scope: ALL_SCOPES },
        attacker.jwtSecret ?? '',
      );
      for (const [method, url, payload] of [
        ['GET', '/v1/sessions'],
        ['GET', `/v1/sessions/${victim.sessions[0]}/messages`],
        ['POST', '/v1/sessions', { title: 'x' }],
        ['GET', '/v1/config'],
        ['GET', '/v1/keys'],
        ['GET', `/agent/history/${victim.id}`],
        ['POST', '/agent/interact', { tenant_id: victim.id, message: 'x' }],
      ] as const) {
        const reply = await call(t, method, url, bearer(token), payload);
        expect({ url, status: reply.status, code: reply.json.code }).toEqual({
          url,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    }
    // Control: the same secret does sign for A itself.
    const own = await tenantJwt(attacker);
    expect((await call(t, 'GET', '/v1/sessions', bearer(own))).status).toBe(200);
  });

  it("refuses a token signed with A's own trust that names B in the tenant claim A's trust reads", async () => {
    const attacker = trusted();
    for (const victim of tenants.slice(1)) {
      const token = await signJwt(
        { tenant_id: attacker.id, [TRUST_TENANT_CLAIM]: victim.id, scope: ALL_SCOPES },
        attacker.jwtSecret ?? '',
      );
      for (const url of ['/v1/sessions', `/v1/sessions/${victim.sessions[0]}`, `/agent/history/${victim.id}`]) {
        const reply = await call(t, 'GET', url, bearer(token));
        expect({ url, status: reply.status, code: reply.json.code }).toEqual({
          url,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    }
  });

  it('refuses an unsigned (alg none) token naming B, and a platform-signed one naming a tenant with its own trust', async () => {
    for (const victim of tenants) {
      for (const token of [
        unsignedJwt({ tenant_id: victim.id, scope: ALL_SCOPES }),
        unsignedJwt({ tenant_id: victim.id, scope: ALL_SCOPES, exp: 4_102_444_800 }),
        `${(await tenantJwt(victim)).split('.').slice(0, 2).join('.')}.`,
      ]) {
        for (const url of ['/v1/sessions', `/v1/sessions/${victim.sessions[0]}`, `/agent/history/${victim.id}`]) {
          const reply = await call(t, 'GET', url, bearer(token));
          expect({ url, status: reply.status, code: reply.json.code }).toEqual({
            url,
            status: 401,
            code: 'UNAUTHENTICATED',
          });
        }
      }
    }
    const platformSigned = await signJwt({ tenant_id: trusted().id, scope: ALL_SCOPES }, PLATFORM_SECRET);
    expect((await call(t, 'GET', '/v1/sessions', bearer(platformSigned))).status).toBe(401);
  });

  it("answers A's key + Tenant-ID: B with 403 TENANT_MISMATCH on every /v1 route", async () => {
    const [attacker, victim] = tenants as [TenantFixture, TenantFixture];
    const routes = tenantRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(19);
    for (const token of [attacker.apiKey, await tenantJwt(attacker)]) {
      for (const op of routes) {
        const probe = wellFormedProbe(op, attacker, victim);
        const observed = await send(probe, {
          headers: { ...bearer(token), 'tenant-id': victim.id },
          valid: true,
          victimHeader: true,
          claims: '',
        });
        expect({ op, status: observed.status, code: observed.code }).toEqual({
          op,
          status: 403,
          code: 'TENANT_MISMATCH',
        });
      }
    }
  });

  it("answers A's key on every /v1/admin route with 403 ADMIN_REQUIRED, for B and for A itself", async () => {
    const [attacker, victim] = tenants as [TenantFixture, TenantFixture];
    const routes = adminRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(22);
    for (const target of [victim, attacker]) {
      for (const op of routes) {
        const probe = wellFormedProbe(op, attacker, target);
        const observed = await send(probe, {
          headers: bearer(attacker.apiKey),
          valid: true,
          victimHeader: false,
          claims: '',
        });
        expect({ op, status: observed.status, code: observed.code }).toEqual({
          op,
          status: 403,
          code: 'ADMIN_REQUIRED',
        });
      }
    }
  });

  it('lets every valid attacker credential read its own tenant, and only that', async () => {
    for (const attacker of tenants.slice(0, ATTACKERS)) {
      const victim = tenants[ATTACKERS] as TenantFixture;
      for (const kind of ['api-key', 'api-key + Tenant-ID: own', 'jwt', 'platform jwt'] as const) {
        const cred = await credential(kind, attacker, victim.id, victim);
        const reply = await call(t, 'GET', '/v1/sessions?limit=100', cred.headers);
        expect(reply.status).toBe(cred.valid ? 200 : 401);
        if (!cred.valid) continue;
        const ids = (reply.json.data as { id: string }[]).map((session) => session.id);
        expect(ids).toEqual(expect.arrayContaining([...attacker.sessions, 'ses_legacy']));
        expect(reply.body).toContain(attacker.marker);
        for (const other of tenants.filter((tenant) => tenant !== attacker))
          expect(reply.body).not.toContain(other.marker);
      }
    }
  });
});
