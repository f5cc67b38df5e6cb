import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../core/auth/api-key-record.ts';
import type { CredentialMatch } from '../core/ports.ts';
import { generateApiKey } from './api-key.ts';
import { createJwtVerifier } from './jwt.ts';
import { createPrincipalResolver } from './resolve-principal.ts';

function setup() {
  const { key, hash } = generateApiKey();
  let clock = 1_000_000;
  let lookups = 0;
  const record: ApiKeyRecord = {
    id: 'key_1',
    tenantId: 'acme',
    name: 'k',
    prefix: key.slice(0, 8),
    scopes: ['chat'],
    limits: null,
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    createdAt: '',
  };
  const resolver = createPrincipalResolver({
    credentials: {
      async findByHash(candidate): Promise<CredentialMatch | null> {
        lookups++;
        return candidate === hash ? { kind: 'tenant-key', key: { ...record }, hash } : null;
      },
    },
    jwt: createJwtVerifier(),
    tenantTrust: async () => null,
    platformTrust: null,
    adminKeyHash: null,
    onKeyUsed: () => {},
    now: () => clock,
  });
  return {
    resolver,
    header: `Bearer ${key}`,
    record,
    lookups: () => lookups,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('principal resolution', () => {
  it('reuses a found key for a short time, then looks it up again', async () => {
    const { resolver, header, lookups, advance } = setup();
    expect(await resolver.resolve(header)).toMatchObject({ kind: 'tenant', tenantId: 'acme', keyId: 'key_1' });
    await resolver.resolve(header);
    expect(lookups()).toBe(1);
    advance(2_001);
    await resolver.resolve(header);
    expect(lookups()).toBe(2);
  });

  it('forgets a key revoked by this process at once', async () => {
    const { resolver, header, lookups } = setup();
    await resolver.resolve(header);
    resolver.forgetKey('key_1');
    await resolver.resolve(header);
    expect(lookups()).toBe(2);
  });

  it('never caches unknown keys and answers them UNAUTHENTICATED', async () => {
    const { resolver, lookups } = setup();
    const unknown = `Bearer ${generateApiKey().key}`;
    await expect(resolver.resolve(unknown)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(resolver.resolve(unknown)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(lookups()).toBe(2);
    await expect(resolver.resolve(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(lookups()).toBe(2);
  });
});
