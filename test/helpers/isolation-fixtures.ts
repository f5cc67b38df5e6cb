import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { TestApp } from './test-app.ts';

/** Credentials of the platform: never to appear in any response. */
export const ADMIN_KEY = randomBytes(32).toString('hex');
export const PLATFORM_SECRET = `platform-${randomBytes(24).toString('hex')}`;
export const MASTER_KEY = randomBytes(32).toString('base64');
export const ALL_SCOPES = 'chat history:read config:write keys:manage';
/** An MCP server name every tenant has, so registering it again is refused the same for every tenant. */
export const SHARED_MCP_SERVER_NAME = 'shared-tools';

/** A secret name every tenant holds, so that a request on "the same name" can be told apart per tenant. */
export const SHARED_SECRET_NAME = 'shared.token';

export const isolationEnv = (): Record<string, string> => ({
  ENCLAVE_AUTH: 'required',
  ENCLAVE_ADMIN_KEY: ADMIN_KEY,
  ENCLAVE_JWT_SECRET: PLATFORM_SECRET,
  ENCLAVE_MASTER_KEY: MASTER_KEY,
});

export const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}` };
export const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A string that must never reach another tenant, with what it is (for failure messages). */
export interface Needle {
  what: string;
  value: string;
}

export interface TenantFixture {
  id: string;
  /** In every message, title, metadata and user id of the tenant. */
  marker: string;
  prompt: string;
  /** All scopes: the credential this tenant attacks with. */
  apiKey: string;
  /** Every key: [main, spare (read only), revoked]. */
  keyIds: string[];
  keyPrefixes: string[];
  revokedKey: string;
  /** Sessions it created (the legacy session `ses_legacy` exists too). */
  sessions: string[];
  /** Ids of turns it ran in those sessions (all finished). */
  turnIds: string[];
  /** Ids of its stored Responses API responses (`resp_…`, finished, not background). */
  responseIds: string[];
  /** End-user ids found in its sessions and usage. */
  userIds: string[];
  jwtSubject: string;
  secretNames: string[];
  secretValue: string;
  configVersions: number[];
  /** Its agents besides the default one (each with a session that ran a turn). */
  agentIds: string[];
  /** Its MCP servers (registered only: their URL is never dialled by the suite). */
  mcpServerIds: string[];
  /** HS256 secret of its own JWT trust, when the operator configured one. */
  jwtSecret: string | null;
  needles: Needle[];
}

export type Json = Record<string, unknown>;

export interface Reply {
  status: number;
  body: string;
  json: Json;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export async function call(
  t: TestApp,
  method: Method,
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
): Promise<Reply> {
  const response = await t.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as Json }),
  });
  let json: Json = {};
  try {
    json = JSON.parse(response.body) as Json;
  } catch {}
  return { status: response.statusCode, body: response.body, json };
}

async function ok(t: TestApp, method: Method, url: string, headers: Record<string, string>, payload?: unknown) {
  const reply = await call(t, method, url, headers, payload);
  if (reply.status >= 300) throw new Error(`setup ${method} ${url} answered ${reply.status}: ${reply.body}`);
  return reply.json;
}

export function signJwt(claims: Json, secret: string, expiresIn = '10m'): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`). */
export function unsignedJwt(claims: Json): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}

/** A token's header and signature with another payload: a signature that does not cover it. */
export function swapPayload(token: string, claims: Json): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64(claims)}.${signature}`;
}

/**
 * The tenant claim a tenant's own JWT trust reads (the platform's is `tenant_id`, which also picks
 * whose trust verifies a token): a token may name one tenant in each, which must not be accepted.
 */
export const TRUST_TENANT_CLAIM = 'org';

/** A JWT the tenant itself may hold: signed with its own trust if it has one, else with the platform secret. */
export function tenantJwt(tenant: TenantFixture): Promise<string> {
  const claims = { tenant_id: tenant.id, sub: tenant.jwtSubject, scope: ALL_SCOPES };
  return tenant.jwtSecret
    ? signJwt({ ...claims, [TRUST_TENANT_CLAIM]: tenant.id }, tenant.jwtSecret)
    : signJwt(claims, PLATFORM_SECRET);
}

/**
 * Creates a tenant with a config change, three keys (one revoked), three sessions with a turn
 * each, two legacy interactions, two secrets and (for `withTrust`) its own JWT trust, all carrying
 * a marker string unique to the tenant.
 */
export async function seedTenant(t: TestApp, index: number, withTrust: boolean): Promise<TenantFixture> {
  const id = `iso-${hex(5)}`;
  const marker = `SECRET-${id}-${hex(6)}`;
  const prompt = `PROMPT-${marker}`;
  const jwtSubject = `jwt-user-${id}`;
  const jwtSecret = withTrust ? `tenant-trust-${hex(20)}` : null;
  await ok(t, 'POST', '/v1/admin/tenants', adminHeaders, { id, name: `Tenant ${index} ${marker}` });
  const main = await ok(t, 'POST', `/v1/admin/tenants/${id}/keys`, adminHeaders, { name: `main ${marker}` });
  const spare = await ok(t, 'POST', `/v1/admin/tenants/${id}/keys`, adminHeaders, {
    name: `spare ${marker}`,
    scopes: ['history:read'],
  });
  const doomed = await ok(t, 'POST', `/v1/admin/tenants/${id}/keys`, adminHeaders, {
    name: `doomed ${marker}`,
    scopes: ['chat'],
  });
  const apiKey = String(main.key);
  const auth = { authorization: `Bearer ${apiKey}` };
  await ok(t, 'DELETE', `/v1/keys/${String(doomed.id)}`, auth);

  const sessions: string[] = [];
  const userIds: string[] = [];
  const turnIds: string[] = [];
  for (let n = 0; n < 3; n++) {
    const userId = `user-${n}-${marker}`;
    const session = await ok(t, 'POST', '/v1/sessions', auth, {
      title: `title ${marker}`,
      user_id: userId,
      metadata: { marker },
    });
    sessions.push(String(session.id));
    userIds.push(userId);
    const turn = await ok(t, 'POST', `/v1/sessions/${String(session.id)}/messages`, auth, {
      content: `turn ${n} ${marker}`,
    });
    turnIds.push(String(turn.turn_id));
  }
  for (let n = 0; n < 2; n++) {
    await ok(t, 'POST', '/agent/interact', auth, { tenant_id: id, message: `legacy ${n} ${marker}` });
  }
  await ok(t, 'PATCH', '/v1/config', auth, { systemPrompt: prompt, language: 'en' });
  if (jwtSecret) {
    const jwt = { secret: jwtSecret, claims: { tenant: TRUST_TENANT_CLAIM } };
    await ok(t, 'PATCH', `/v1/admin/tenants/${id}/config`, adminHeaders, { jwt });
  }

  const fixture: TenantFixture = {
    id,
    marker,
    prompt,
    apiKey,
    keyIds: [String(main.id), String(spare.id), String(doomed.id)],
    keyPrefixes: [String(main.prefix), String(spare.prefix), String(doomed.prefix)],
    revokedKey: String(doomed.key),
    sessions,
    turnIds,
    responseIds: [],
    userIds: [...userIds, jwtSubject],
    jwtSubject,
    secretNames: [SHARED_SECRET_NAME, `only.${hex(6)}`],
    secretValue: `SECRETVALUE-${marker}`,
    configVersions: [],
    agentIds: [],
    mcpServerIds: [],
    jwtSecret,
    needles: [],
  };
  for (const name of fixture.secretNames) {
    await ok(t, 'PUT', `/v1/secrets/${name}`, auth, { value: `${fixture.secretValue}-${name}` });
  }
  // A turn through a JWT, so the usage ledger and the sessions carry an end user from a token.
  const jwtAuth = { authorization: `Bearer ${await tenantJwt(fixture)}` };
  const jwtSession = await ok(t, 'POST', '/v1/sessions', jwtAuth, { title: `jwt ${marker}` });
  sessions.push(String(jwtSession.id));
  const jwtTurn = await ok(t, 'POST', `/v1/sessions/${String(jwtSession.id)}/messages`, jwtAuth, {
    content: `jwt turn ${marker}`,
  });
  turnIds.push(String(jwtTurn.turn_id));

  // An agent of its own, with a session (and a turn) that runs it.
  const agentId = `agent-${hex(6)}`;
  await ok(t, 'POST', '/v1/agents', auth, {
    id: agentId,
    name: `agent ${marker}`,
    config: { system_prompt: `agent prompt ${marker}` },
  });
  fixture.agentIds.push(agentId);
  // MCP servers of its own, one named as every tenant's is: never reached (the SSRF guard refuses loopback here).
  for (const name of [SHARED_MCP_SERVER_NAME, `tools-${hex(4)}`]) {
    const mcpServer = await ok(t, 'POST', '/v1/mcp-servers', auth, { name, url: 'http://127.0.0.1:65535/mcp' });
    fixture.mcpServerIds.push(String(mcpServer.id));
  }
  const agentSession = await ok(t, 'POST', '/v1/sessions', auth, { title: `agent ${marker}`, agent_id: agentId });
  sessions.push(String(agentSession.id));
  const agentTurn = await ok(t, 'POST', `/v1/sessions/${String(agentSession.id)}/messages`, auth, {
    content: `agent turn ${marker}`,
  });
  turnIds.push(String(agentTurn.turn_id));

  // Responses (each in a session of its own), whose ids probes aim at.
  for (let n = 0; n < 2; n++) {
    const response = await ok(t, 'POST', '/v1/responses', auth, { model: 'default', input: `response ${n} ${marker}` });
    fixture.responseIds.push(String(response.id));
  }

  const versions = await ok(t, 'GET', `/v1/admin/tenants/${id}/config/versions`, adminHeaders);
  fixture.configVersions = (versions.data as Json[]).map((version) => Number(version.version));
  fixture.needles = [
    { what: 'tenant id', value: id },
    { what: 'marker', value: marker },
    { what: 'system prompt', value: prompt },
    { what: 'secret value', value: fixture.secretValue },
    { what: 'api key', value: apiKey },
    { what: 'revoked api key', value: fixture.revokedKey },
    { what: 'spare api key', value: String(spare.key) },
    { what: 'jwt subject', value: jwtSubject },
    ...fixture.keyIds.map((value) => ({ what: 'key id', value })),
    // A 4-character random part: matched as the JSON field, so a random string cannot collide.
    ...fixture.keyPrefixes.map((prefix) => ({ what: 'key prefix', value: `"prefix":"${prefix}"` })),
    ...sessions.map((value) => ({ what: 'session id', value })),
    ...fixture.agentIds.map((value) => ({ what: 'agent id', value })),
    ...fixture.mcpServerIds.map((value) => ({ what: 'mcp server id', value })),
    ...turnIds.map((value) => ({ what: 'turn id', value })),
    ...fixture.responseIds.map((value) => ({ what: 'response id', value })),
    ...fixture.secretNames
      .filter((name) => name !== SHARED_SECRET_NAME)
      .map((value) => ({ what: 'secret name', value })),
    ...(jwtSecret ? [{ what: 'jwt trust secret', value: jwtSecret }] : []),
  ];
  return fixture;
}

// ---------------------------------------------------------------------------------------------
// State of a tenant, read with the admin key: the export (every row it owns) and the API views.
// ---------------------------------------------------------------------------------------------

export interface TenantState {
  /** Export rows by table, then by row key. */
  rows: Map<string, Map<string, Json>>;
  sessions: Json[];
  keys: Json[];
  configVersion: number;
  usageTurns: number;
  usageTokens: number;
  audit: Json[];
}

const ROW_KEY: Record<string, string> = {
  tenants: 'id',
  tenant_configs: 'version',
  api_keys: 'id',
  sessions: 'id',
  messages: 'id',
  usage_records: 'id',
  audit_log: 'id',
  tenant_secrets: 'name',
  responses: 'turn_id',
  agents: 'id',
  // Versions count per agent: keyed by agent and version (see readExport).
  agent_versions: 'agent_id',
  mcp_servers: 'id',
  // Credentials count per server and user (see readExport).
  mcp_user_credentials: 'server_id',
};

async function allPages(t: TestApp, url: string, headers: Record<string, string>): Promise<Json[]> {
  const items: Json[] = [];
  let cursor: string | null = null;
  do {
    const separator = url.includes('?') ? '&' : '?';
    const page: Json = await ok(t, 'GET', cursor ? `${url}${separator}cursor=${cursor}` : url, headers);
    items.push(...(page.data as Json[]));
    cursor = (page.next_cursor as string | null) ?? null;
  } while (cursor);
  return items;
}

/**
 * Reads the tenant's state. `exportFirst` decides whether the export (which appends a
 * `tenant.export` audit entry) runs before or after the audit log is read, so that a before/after
 * pair sees the same entries: export first before the property, last after it.
 */
export async function readState(t: TestApp, tenantId: string, exportFirst: boolean): Promise<TenantState> {
  const readExport = async () => {
    const rows = new Map<string, Map<string, Json>>();
    const reply = await call(t, 'GET', `/v1/admin/tenants/${tenantId}/export`, adminHeaders);
    if (reply.status !== 200) throw new Error(`export answered ${reply.status}`);
    for (const line of reply.body.split('\n').filter(Boolean)) {
      const { table, row } = JSON.parse(line) as { table: string; row: Json };
      const key = ROW_KEY[table];
      if (!key) throw new Error(`export has an unknown table ${table}: add it to ROW_KEY`);
      if (!rows.has(table)) rows.set(table, new Map());
      const rowKey =
        table === 'agent_versions'
          ? `${String(row.agent_id)}:${String(row.version)}`
          : table === 'mcp_user_credentials'
            ? `${String(row.server_id)}:${String(row.user_id)}`
            : String(row[key]);
      rows.get(table)?.set(rowKey, row);
    }
    return rows;
  };
  let rows = exportFirst ? await readExport() : new Map<string, Map<string, Json>>();
  const admin = `/v1/admin/tenants/${tenantId}`;
  const sessions = await allPages(t, '/v1/sessions?limit=100', { ...adminHeaders, 'tenant-id': tenantId });
  const keys = await allPages(t, `${admin}/keys?limit=100`, adminHeaders);
  const tenant = await ok(t, 'GET', admin, adminHeaders);
  const usage = await ok(t, 'GET', `${admin}/usage?from=2000-01-01&to=2999-12-31&group_by=model`, adminHeaders);
  const audit = await allPages(t, `${admin}/audit?limit=500`, adminHeaders);
  if (!exportFirst) rows = await readExport();
  const totals = usage.data as { turns: number; total_tokens: number }[];
  return {
    rows,
    sessions: sessions.sort(byId),
    keys: keys.map(({ last_used_at: _, ...key }) => key).sort(byId),
    configVersion: Number(tenant.config_version),
    usageTurns: totals.reduce((sum, row) => sum + row.turns, 0),
    usageTokens: totals.reduce((sum, row) => sum + row.total_tokens, 0),
    audit: audit.sort(byId),
  };
}

const byId = (a: Json, b: Json) => String(a.id).localeCompare(String(b.id));

// ---------------------------------------------------------------------------------------------
// What a tenant legitimately changed about itself during the property.
// ---------------------------------------------------------------------------------------------

export interface OwnWrites {
  sessionsCreated: Set<string>;
  keysCreated: Set<string>;
  /** Sessions that got turns (their messages and counters grow). */
  sessionsWithTurns: Set<string>;
  turns: number;
  configWrites: number;
  secretsPut: Set<string>;
  secretsDeleted: Set<string>;
  /** Erasure calls that answered 200 (each removes nothing it did not own; counted for the audit). */
  erasures: number;
  /** Audit entries its own writes appended. */
  auditEntries: number;
  /** Strings the tenant stored itself (a secret name it chose): no leak when they come back to it. */
  stored: Set<string>;
}

export const noWrites = (): OwnWrites => ({
  sessionsCreated: new Set(),
  keysCreated: new Set(),
  sessionsWithTurns: new Set(),
  turns: 0,
  configWrites: 0,
  secretsPut: new Set(),
  secretsDeleted: new Set(),
  erasures: 0,
  auditEntries: 0,
  stored: new Set(),
});

export const hasWrites = (own: OwnWrites) =>
  own.sessionsCreated.size + own.keysCreated.size + own.turns + own.configWrites + own.secretsPut.size > 0 ||
  own.secretsDeleted.size + own.erasures > 0;

const without = (row: Json, columns: readonly string[]) =>
  Object.fromEntries(Object.entries(row).filter(([column]) => !columns.includes(column)));

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Every difference between two states of one tenant that its own writes do not explain. Key
 * `last_used_at` is ignored (recorded asynchronously for keys used during setup).
 */
export function unexplainedChanges(
  fixture: TenantFixture,
  before: TenantState,
  after: TenantState,
  own: OwnWrites,
): string[] {
  const problems: string[] = [];
  const tenantKeys = new Set([...fixture.keyIds, ...own.keysCreated]);
  const actors = new Set([...[...tenantKeys].map((id) => `key:${id}`), `user:${fixture.jwtSubject}`]);
  const endUsers = new Set([null, fixture.jwtSubject]);

  // Rows: everything present before is still there and unchanged but for what its own writes touch.
  const volatile = (table: string, key: string): string[] => {
    if (table === 'api_keys') return ['last_used_at'];
    if (table === 'tenants') return own.configWrites > 0 ? ['config_version', 'updated_at'] : [];
    if (table === 'sessions') return own.sessionsWithTurns.has(key) ? ['last_seq', 'updated_at'] : [];
    return [];
  };
  const mayVanish = (table: string, key: string) => table === 'tenant_secrets' && own.secretsDeleted.has(key);
  const mayChange = (table: string, key: string) => table === 'tenant_secrets' && own.secretsPut.has(key);
  const tables = new Set([...before.rows.keys(), ...after.rows.keys()]);
  const added = new Map<string, Json[]>();
  for (const table of tables) {
    const old = before.rows.get(table) ?? new Map<string, Json>();
    const now = after.rows.get(table) ?? new Map<string, Json>();
    for (const [key, row] of old) {
      const current = now.get(key);
      if (!current) {
        if (!mayVanish(table, key)) problems.push(`${table} ${key} disappeared`);
      } else if (
        !mayChange(table, key) &&
        !same(without(row, volatile(table, key)), without(current, volatile(table, key)))
      ) {
        problems.push(`${table} ${key} changed: ${JSON.stringify(row)} -> ${JSON.stringify(current)}`);
      }
    }
    added.set(
      table,
      [...now].filter(([key]) => !old.has(key)).map(([, row]) => row),
    );
  }

  // New rows: exactly those its own writes made.
  const ids = (table: string, column: string) => new Set((added.get(table) ?? []).map((row) => String(row[column])));
  if (!same([...ids('sessions', 'id')].sort(), [...own.sessionsCreated].sort())) {
    problems.push(`new sessions ${[...ids('sessions', 'id')]} but created ${[...own.sessionsCreated]}`);
  }
  if (!same([...ids('api_keys', 'id')].sort(), [...own.keysCreated].sort())) {
    problems.push(`new keys ${[...ids('api_keys', 'id')]} but created ${[...own.keysCreated]}`);
  }
  const newConfigs = added.get('tenant_configs')?.length ?? 0;
  if (newConfigs !== own.configWrites) problems.push(`${newConfigs} new config versions, ${own.configWrites} written`);
  for (const row of added.get('messages') ?? []) {
    if (!own.sessionsWithTurns.has(String(row.session_id))) {
      problems.push(`new message ${String(row.id)} in session ${String(row.session_id)} it never wrote to`);
    }
  }
  const usage = added.get('usage_records') ?? [];
  if (usage.length !== own.turns) problems.push(`${usage.length} new usage records, ${own.turns} turns`);
  for (const row of usage) {
    if (!(row.key_id === null || tenantKeys.has(String(row.key_id))) || !endUsers.has(row.user_id as string | null)) {
      problems.push(`usage record ${String(row.id)} charged to ${String(row.key_id)}/${String(row.user_id)}`);
    }
  }
  // The export that read `after` logged itself (after the export that read `before`): that one entry is ours.
  const snapshotExport = (row: Json) => row.actor === 'admin:env' && row.action === 'tenant.export';
  const ownExports = (added.get('audit_log') ?? []).filter(snapshotExport);
  if (ownExports.length !== 1) problems.push(`${ownExports.length} new tenant.export audit entries, 1 expected`);
  const newAudit = (added.get('audit_log') ?? []).filter((row) => !snapshotExport(row));
  if (newAudit.length !== own.auditEntries) {
    problems.push(`${newAudit.length} new audit entries, ${own.auditEntries} expected`);
  }
  for (const row of newAudit) {
    if (!actors.has(String(row.actor))) problems.push(`audit entry ${String(row.id)} by ${String(row.actor)}`);
  }
  for (const row of added.get('tenant_secrets') ?? []) {
    if (!own.secretsPut.has(String(row.name))) problems.push(`new secret ${String(row.name)} it never stored`);
  }

  // The API views agree.
  const keyView = (keys: Json[]) => keys.filter((key) => !own.keysCreated.has(String(key.id)));
  if (!same(keyView(before.keys), keyView(after.keys))) problems.push('key list (or a revoked flag) changed');
  const sessionView = (sessions: Json[]) =>
    sessions
      .filter((session) => !own.sessionsCreated.has(String(session.id)))
      .map((session) =>
        own.sessionsWithTurns.has(String(session.id)) ? without(session, ['message_count', 'updated_at']) : session,
      );
  if (!same(sessionView(before.sessions), sessionView(after.sessions))) problems.push('session list changed');
  if (after.configVersion !== before.configVersion + own.configWrites) {
    problems.push(`config version ${before.configVersion} -> ${after.configVersion}, ${own.configWrites} written`);
  }
  if (after.usageTurns !== before.usageTurns + own.turns) {
    problems.push(`usage turns ${before.usageTurns} -> ${after.usageTurns}, ${own.turns} own turns`);
  }
  if (own.turns === 0 && after.usageTokens !== before.usageTokens) problems.push('usage tokens changed');
  const oldAudit = new Set(before.audit.map((entry) => JSON.stringify(entry)));
  const keptAudit = after.audit.filter((entry) => oldAudit.has(JSON.stringify(entry)));
  if (keptAudit.length !== before.audit.length) problems.push('audit entries were changed or removed');
  return problems.map((problem) => `${fixture.id}: ${problem}`);
}
