import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_CONFIG } from '../../src/core/tenants/tenant-config.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { openRawDatabase } from '../helpers/raw-database.ts';
import { createTestApp, disposeTestDatabase, type TestApp, testDatabaseEnv } from '../helpers/test-app.ts';

const ADMIN = `admin-${'j'.repeat(40)}`;
const MASTER_KEY = Buffer.alloc(32, 9).toString('base64');
const SECRET = 'tenant-jwt-secret-that-must-never-leak-0001';
const OLD_SECRET = 'tenant-jwt-secret-rotated-out-long-ago-0002';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sign = (tenantId: string, secret: string) =>
  new SignJWT({ tenant_id: tenantId, scope: 'history:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
const call = async (
  t: TestApp,
  method: 'GET' | 'PATCH' | 'PUT' | 'POST',
  url: string,
  token: string,
  payload?: object,
) => {
  const response = await t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.body, json: () => response.json() };
};
/** Every stored config version and the export, as text: where a leaked secret would show. */
async function storedAndExported(t: TestApp, tenantId: string) {
  const raw = await openRawDatabase(t);
  try {
    const configs = await raw.all(`SELECT config FROM tenant_configs WHERE tenant_id = '${tenantId}'`);
    const secrets = await raw.all(`SELECT name, ciphertext FROM tenant_secrets WHERE tenant_id = '${tenantId}'`);
    const exported = await call(t, 'GET', `/v1/admin/tenants/${tenantId}/export`, ADMIN);
    expect(exported.status).toBe(200);
    return { configs: JSON.stringify(configs), secrets, exported: exported.body };
  } finally {
    await raw.close();
  }
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) {
    await disposeTestDatabase(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('per-tenant JWT signing secrets (issue #15, defect 6)', () => {
  it('keeps a secret set through the config API in the encrypted store: never in a config, an export or a response', async () => {
    const t = await createTestApp({
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: ADMIN,
      ENCLAVE_MASTER_KEY: MASTER_KEY,
    });
    try {
      expect((await call(t, 'POST', '/v1/admin/tenants', ADMIN, { id: 'acme' })).status).toBe(201);
      const patched = await call(t, 'PATCH', '/v1/admin/tenants/acme/config', ADMIN, { jwt: { secret: SECRET } });
      expect(patched.status).toBe(200);
      expect(patched.json().config.jwt).toEqual({ secretName: 'jwt.secret' });
      expect((await call(t, 'GET', '/v1/sessions', await sign('acme', SECRET))).status).toBe(200);
      expect((await call(t, 'GET', '/v1/sessions', await sign('acme', OLD_SECRET))).status).toBe(401);

      const { configs, secrets, exported } = await storedAndExported(t, 'acme');
      expect(configs).not.toContain(SECRET);
      expect(secrets.map((row) => row.name)).toEqual(['jwt.secret']);
      expect(exported).not.toContain(SECRET);
      expect(exported).toContain(String(secrets[0]?.ciphertext));

      // The signing secret is the operator's: a tenant key may not replace or delete it.
      const key = (await call(t, 'POST', '/v1/admin/tenants/acme/keys', ADMIN, { name: 'k' })).json().key as string;
      expect((await call(t, 'PATCH', '/v1/config', key, { jwt: { secret: OLD_SECRET } })).status).toBe(403);
      const replaced = await call(t, 'PUT', '/v1/secrets/jwt.secret', key, { value: OLD_SECRET });
      expect({ status: replaced.status, code: replaced.json().code }).toEqual({
        status: 403,
        code: 'INSUFFICIENT_SCOPE',
      });
      const byName = await call(t, 'PATCH', '/v1/config', key, {
        model: { id: 'simulated-1', apiKeySecret: 'jwt.secret' },
      });
      expect(byName.status).toBe(422);
      expect((await call(t, 'GET', '/v1/sessions', await sign('acme', SECRET))).status).toBe(200);
    } finally {
      await t.dispose();
    }
  });

  it('refuses a new inline secret without a master key, rather than store it in clear', async () => {
    const t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
    try {
      expect((await call(t, 'POST', '/v1/admin/tenants', ADMIN, { id: 'acme' })).status).toBe(201);
      const refused = await call(t, 'PATCH', '/v1/admin/tenants/acme/config', ADMIN, { jwt: { secret: SECRET } });
      expect({ status: refused.status, code: refused.json().code }).toEqual({
        status: 503,
        code: 'SECRETS_NOT_CONFIGURED',
      });
      expect((await storedAndExported(t, 'acme')).configs).not.toContain(SECRET);
      // Refused before the tenant is created, so no half-created tenant is left behind.
      const created = await call(t, 'POST', '/v1/admin/tenants', ADMIN, {
        id: 'half',
        config: { jwt: { secret: SECRET } },
      });
      expect(created.status).toBe(503);
      expect((await call(t, 'GET', '/v1/admin/tenants/half', ADMIN)).status).toBe(404);
    } finally {
      await t.dispose();
    }
  });

  it('moves a secret stored inline by an older server at start once a master key is set, keeping the trust throughout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enclave-jwt-'));
    dirs.push(dir);
    const env = await testDatabaseEnv(dir);
    const opened = await createStorage({
      databaseUrl: String(env.DATABASE_URL),
      ...(env.DATABASE_MIGRATION_URL ? { databaseMigrationUrl: env.DATABASE_MIGRATION_URL } : {}),
      sqliteSynchronous: 'NORMAL',
      migrate: true,
    });
    await opened.admin.createTenant({ id: 'legacy', name: 'legacy' });
    for (const secret of [OLD_SECRET, SECRET]) {
      await opened.storage.appendTenantConfig('legacy', { ...DEFAULT_TENANT_CONFIG, jwt: { secret } }, 'old-server');
    }
    await opened.storage.close();

    // Without a master key: the inline secret keeps working, unrelated edits too, and no export shows it.
    const before = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN }, { dir });
    try {
      expect((await call(before, 'GET', '/v1/sessions', await sign('legacy', SECRET))).status).toBe(200);
      const edited = await call(before, 'PATCH', '/v1/admin/tenants/legacy/config', ADMIN, { systemPrompt: 'hi' });
      expect(edited.status).toBe(200);
      expect(edited.json().config.jwt).toEqual({ secret: '***' });
      const { exported } = await storedAndExported(before, 'legacy');
      expect(exported).not.toContain(SECRET);
      expect(exported).not.toContain(OLD_SECRET);
    } finally {
      await before.dispose();
    }

    const after = await createTestApp(
      { ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, ENCLAVE_MASTER_KEY: MASTER_KEY },
      { dir },
    );
    try {
      expect((await call(after, 'GET', '/v1/sessions', await sign('legacy', SECRET))).status).toBe(200);
      expect((await call(after, 'GET', '/v1/sessions', await sign('legacy', OLD_SECRET))).status).toBe(401);
      const { configs, secrets, exported } = await storedAndExported(after, 'legacy');
      expect(configs).not.toContain(SECRET);
      expect(configs).not.toContain(OLD_SECRET);
      expect(secrets.map((row) => row.name)).toEqual(['jwt.secret']);
      expect(exported).not.toContain(SECRET);
      const current = await call(after, 'GET', '/v1/admin/tenants/legacy/config', ADMIN);
      expect(current.json()).toMatchObject({
        version: 3,
        config: { systemPrompt: 'hi', jwt: { secretName: 'jwt.secret' } },
      });
      // An operator rollback to the oldest version names the same secret: a rotated-out one never comes back.
      expect(
        (await call(after, 'POST', '/v1/admin/tenants/legacy/config/rollback', ADMIN, { version: 1 })).status,
      ).toBe(200);
      expect((await call(after, 'GET', '/v1/sessions', await sign('legacy', SECRET))).status).toBe(200);
      expect((await call(after, 'GET', '/v1/sessions', await sign('legacy', OLD_SECRET))).status).toBe(401);
    } finally {
      await after.dispose();
    }
  });
});
