import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.ts';
import { DEFAULT_TENANT_CONFIG, type TenantConfig } from '../core/tenants/tenant-config.ts';
import { createTenantJwtTrust } from './tenant-jwt-trust.ts';

const SECRET = 's'.repeat(40);

function setup(jwt: TenantConfig['jwt'], stored: Map<string, string>, options: { masterKey?: boolean } = {}) {
  let clock = 0;
  let reads = 0;
  let version = 1;
  const trust = createTenantJwtTrust({
    config: async () => ({ version, config: { ...DEFAULT_TENANT_CONFIG, jwt }, createdBy: 't', createdAt: '' }),
    reveal: async (_tenantId, name) => {
      reads += 1;
      if (options.masterKey === false) throw new AppError('SECRETS_NOT_CONFIGURED');
      return stored.get(name) ?? null;
    },
    now: () => clock,
  });
  return {
    trust,
    reads: () => reads,
    advance: (ms: number) => {
      clock += ms;
    },
    bump: () => {
      version += 1;
    },
  };
}

describe('createTenantJwtTrust', () => {
  it('reads a named secret from the store, and reuses it for a short while within one config version', async () => {
    const stored = new Map([['jwt.secret', SECRET]]);
    const subject = setup({ secretName: 'jwt.secret', issuer: 'me' }, stored);
    expect(await subject.trust('acme')).toEqual({ secret: SECRET, issuer: 'me' });
    expect(await subject.trust('acme')).toEqual({ secret: SECRET, issuer: 'me' });
    expect(subject.reads()).toBe(1);
    stored.set('jwt.secret', 'r'.repeat(40));
    subject.advance(2_001);
    expect(await subject.trust('acme')).toEqual({ secret: 'r'.repeat(40), issuer: 'me' });
    subject.bump();
    await subject.trust('acme');
    expect(subject.reads()).toBe(3);
  });

  it('is unusable, never null (which would fall back to the platform trust), when the secret is gone or cannot be opened', async () => {
    expect(await setup({ secretName: 'jwt.secret' }, new Map()).trust('acme')).toBe('unusable');
    expect(
      await setup({ secretName: 'jwt.secret' }, new Map([['jwt.secret', SECRET]]), { masterKey: false }).trust('acme'),
    ).toBe('unusable');
  });

  it('uses a legacy inline secret as it is, and answers null for a tenant without a trust', async () => {
    const inline = setup({ secret: SECRET }, new Map());
    expect(await inline.trust('acme')).toEqual({ secret: SECRET });
    expect(inline.reads()).toBe(0);
    expect(await setup(null, new Map()).trust('acme')).toBeNull();
  });
});
