import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AdminKeyRecord, ApiKeyRecord } from '../core/auth/api-key-record.ts';
import type { Principal, Scope } from '../core/auth/principal.ts';
import { AppError } from '../core/errors.ts';
import type { ConsoleSessionRecord, ConsoleSessionStore } from '../core/ports.ts';
import type { TenantView } from '../core/tenants/tenant-directory.ts';

/** The cookie that carries a console session. */
export const CONSOLE_COOKIE = 'enclave_console';

/** What the console learns about its session (never the key, never the cookie). */
export interface ConsoleSessionView {
  kind: 'tenant' | 'operator';
  tenantId: string | null;
  scopes: Scope[];
  csrfToken: string;
  expiresAt: string;
}

export interface ConsoleSessionsOptions {
  store: ConsoleSessionStore;
  /** Resolves a presented key exactly as an `Authorization: Bearer` header would. */
  resolveKey(key: string): Promise<Principal>;
  getApiKey(tenantId: string, keyId: string): Promise<ApiKeyRecord | null>;
  listAdminKeys(): Promise<AdminKeyRecord[]>;
  tenant(tenantId: string): Promise<TenantView>;
  /** SHA-256 of `ENCLAVE_ADMIN_KEY`, or null. */
  adminKeyHash: string | null;
  ttlMs: number;
  now: () => number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** The CSRF token of a session: derived from its cookie, so it is never stored and survives a reload. */
function csrfTokenOf(cookie: string): string {
  return createHmac('sha256', cookie).update('enclave-console-csrf').digest('base64url');
}

/**
 * The env admin key has no id: its sessions record a fingerprint of its hash, so rotating
 * `ENCLAVE_ADMIN_KEY` ends every session it signed in (the fingerprint no longer matches).
 */
function envAdminFingerprint(adminKeyHash: string): string {
  return `env:${sha256(`enclave-console-operator:${adminKeyHash}`).slice(0, 32)}`;
}

function refused(reason: string): AppError {
  return new AppError('UNAUTHENTICATED', 'The console session is missing, expired or revoked', {
    details: { reason },
  });
}

const COOKIE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Console sign-in: a key is exchanged for an opaque random cookie. The server keeps only the
 * cookie's SHA-256 and the id of the key (or admin key) that signed in; every use re-checks that
 * key (revoked, expired) and its tenant (suspended, deleted) and ends the session if they fail.
 */
export function createConsoleSessions(options: ConsoleSessionsOptions) {
  const view = (record: ConsoleSessionRecord, cookie: string, scopes: Scope[]): ConsoleSessionView => ({
    kind: record.kind,
    tenantId: record.kind === 'tenant' ? record.tenantId : null,
    scopes,
    csrfToken: csrfTokenOf(cookie),
    expiresAt: record.expiresAt,
  });

  async function end(record: ConsoleSessionRecord, reason: string): Promise<never> {
    await options.store.deleteConsoleSession(record);
    throw refused(reason);
  }

  /** The principal of a live session, or UNAUTHENTICATED (and the session deleted). */
  async function principalOf(record: ConsoleSessionRecord): Promise<{ principal: Principal; scopes: Scope[] }> {
    if (Date.parse(record.expiresAt) <= options.now()) return end(record, 'console-session-expired');
    if (record.kind === 'operator') {
      if (record.adminKeyId.startsWith('env:')) {
        if (!options.adminKeyHash || envAdminFingerprint(options.adminKeyHash) !== record.adminKeyId)
          return end(record, 'console-admin-key-changed');
        return { principal: { kind: 'admin', keyId: 'env' }, scopes: [] };
      }
      const key = (await options.listAdminKeys()).find((candidate) => candidate.id === record.adminKeyId);
      if (!key || key.revokedAt) return end(record, 'console-admin-key-revoked');
      return { principal: { kind: 'admin', keyId: key.id }, scopes: [] };
    }
    const key = await options.getApiKey(record.tenantId, record.keyId);
    if (!key || key.revokedAt) return end(record, 'console-key-revoked');
    if (key.expiresAt && Date.parse(key.expiresAt) <= options.now()) return end(record, 'console-key-expired');
    const tenant = (await options.tenant(record.tenantId)).tenant;
    if (!tenant) return end(record, 'console-tenant-deleted');
    if (tenant.status === 'suspended') return end(record, 'console-tenant-suspended');
    return {
      principal: {
        kind: 'tenant',
        tenantId: key.tenantId,
        keyId: key.id,
        userId: null,
        scopes: new Set(key.scopes),
        limits: key.limits,
        via: 'api-key',
      },
      scopes: [...key.scopes],
    };
  }

  async function find(cookie: string | undefined): Promise<ConsoleSessionRecord> {
    if (!cookie || !COOKIE_PATTERN.test(cookie)) throw refused('console-cookie-malformed');
    const record = await options.store.findConsoleSession(sha256(cookie));
    if (!record) throw refused('console-session-unknown');
    return record;
  }

  return {
    /** Exchanges a key for a new session; the cookie value is returned once and never stored. */
    async signIn(key: string): Promise<{ cookie: string; session: ConsoleSessionView }> {
      if (key.length === 0 || key.length > 16_384) throw refused('console-key-malformed');
      const principal = await options.resolveKey(`Bearer ${key}`);
      if (principal.kind === 'tenant' && (principal.keyId === null || principal.via !== 'api-key'))
        throw refused('console-needs-api-key');
      if (principal.kind === 'open') throw refused('console-needs-key');
      const cookie = randomBytes(32).toString('base64url');
      const createdAt = new Date(options.now()).toISOString();
      const expiresAt = new Date(options.now() + options.ttlMs).toISOString();
      let record: ConsoleSessionRecord;
      if (principal.kind === 'tenant') {
        const tenant = (await options.tenant(principal.tenantId)).tenant;
        if (tenant?.status === 'suspended') throw new AppError('TENANT_SUSPENDED');
        record = {
          kind: 'tenant',
          hash: sha256(cookie),
          tenantId: principal.tenantId,
          keyId: principal.keyId as string,
          createdAt,
          expiresAt,
        };
      } else {
        const adminKeyId =
          principal.keyId === 'env' && options.adminKeyHash
            ? envAdminFingerprint(options.adminKeyHash)
            : principal.keyId;
        record = { kind: 'operator', hash: sha256(cookie), adminKeyId, createdAt, expiresAt };
      }
      await options.store.createConsoleSession(record);
      const scopes = principal.kind === 'tenant' ? [...principal.scopes] : [];
      return { cookie, session: view(record, cookie, scopes) };
    },

    /** The session of a cookie with its principal; UNAUTHENTICATED when it is not live. */
    async resolve(cookie: string | undefined): Promise<{ principal: Principal; session: ConsoleSessionView }> {
      const record = await find(cookie);
      const { principal, scopes } = await principalOf(record);
      return { principal, session: view(record, cookie as string, scopes) };
    },

    /** Ends the session of a cookie; false when there was none. */
    async signOut(cookie: string | undefined): Promise<boolean> {
      if (!cookie || !COOKIE_PATTERN.test(cookie)) return false;
      const record = await options.store.findConsoleSession(sha256(cookie));
      return record ? options.store.deleteConsoleSession(record) : false;
    },
  };
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;

/** Constant-time comparison of a presented CSRF token with the session's. */
export function sameCsrfToken(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const left = Buffer.from(presented);
  const right = Buffer.from(expected);
  return left.length === right.length && timingSafeEqual(left, right);
}
