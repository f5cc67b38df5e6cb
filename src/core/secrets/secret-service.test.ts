import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStorage } from '../../storage/create-storage.ts';
import type { AdminStorage, Storage } from '../ports.ts';
import { newDataKey, open, seal } from './secret-box.ts';
import { createSecretService } from './secret-service.ts';

let storage: Storage;
let admin: AdminStorage;
beforeEach(async () => {
  ({ storage, admin } = await createStorage({
    databaseUrl: 'sqlite::memory:',
    sqliteSynchronous: 'NORMAL',
    migrate: true,
  }));
  await admin.createTenant({ id: 'a', name: 'A' });
  await admin.createTenant({ id: 'b', name: 'B' });
});
afterEach(async () => {
  await storage.close();
});

describe('secrets at rest', () => {
  it('seals with AES-256-GCM bound to its context: tampering or moving a ciphertext fails', () => {
    const key = newDataKey();
    const sealed = seal(key, Buffer.from('hunter2'), 'secret:a:x');
    expect(open(key, sealed, 'secret:a:x').toString()).toBe('hunter2');
    expect(() => open(key, sealed, 'secret:b:x')).toThrow();
    const [version, iv, tag, body] = sealed.split('.');
    const flipped = `${version}.${iv}.${tag}.${Buffer.from(Buffer.from(body ?? '', 'base64url').map((byte) => byte ^ 1)).toString('base64url')}`;
    expect(() => open(key, flipped, 'secret:a:x')).toThrow();
    expect(() => open(newDataKey(), sealed, 'secret:a:x')).toThrow();
  });

  it('stores only ciphertext under a per-tenant data key, and reveals it to the right tenant only', async () => {
    const secrets = createSecretService({ storage, masterKey: newDataKey() });
    await secrets.put('a', 'openai_api_key', 'sk-tenant-a');
    await secrets.put('b', 'openai_api_key', 'sk-tenant-b');
    expect(await secrets.reveal('a', 'openai_api_key')).toBe('sk-tenant-a');
    expect(await secrets.reveal('b', 'openai_api_key')).toBe('sk-tenant-b');
    expect(await storage.getSecret('a', 'openai_api_key')).not.toContain('sk-tenant-a');
    expect(await storage.getDataKey('a')).not.toBe(await storage.getDataKey('b'));
    expect(await secrets.list('a')).toEqual(['openai_api_key']);
    // A ciphertext copied into another tenant's row does not open with that tenant's key.
    await storage.putSecret('b', 'stolen', (await storage.getSecret('a', 'openai_api_key')) as string);
    await expect(secrets.reveal('b', 'stolen')).rejects.toThrow();
  });

  it('deleting the tenant destroys its data key', async () => {
    const secrets = createSecretService({ storage, masterKey: newDataKey() });
    await secrets.put('a', 'token', 'value');
    const copy = await storage.getSecret('a', 'token');
    expect(await admin.deleteTenant('a')).toBe(true);
    expect(await storage.getDataKey('a')).toBeNull();
    expect(await storage.getSecret('a', 'token')).toBeNull();
    expect(copy).not.toContain('value');
  });

  it('refuses to store anything without a master key', async () => {
    const secrets = createSecretService({ storage, masterKey: null });
    await expect(secrets.put('a', 'x', 'y')).rejects.toMatchObject({ code: 'SECRETS_NOT_CONFIGURED' });
  });
});
