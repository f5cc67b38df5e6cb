import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createKey, createTenantWithKey, request } from '../helpers/request.ts';
import { connectWebSocket, type WebSocketClient } from '../helpers/websocket-client.ts';

const ADMIN = `admin-${'c'.repeat(40)}`;
const TENANT_SECRET = 'jwt-secret-of-ws-cred-jwt-'.padEnd(40, 'x');

type Headers = Record<string, string>;
let set: ReplicaSet;
let baseUrl: string;
const admin: Headers = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  // A master key: a tenant's JWT secret is kept in its encrypted secrets store.
  set = await startReplicas({
    count: 1,
    adminKey: ADMIN,
    env: { ENCLAVE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') },
  });
  baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
});
afterAll(async () => {
  await set?.close();
});

const call = (method: string, path: string, headers: Headers, body?: unknown) =>
  request(baseUrl, method, path, headers, body);

/** A ping answered with pong: the socket still acts for its credential. */
async function pingAnswered(client: WebSocketClient): Promise<void> {
  client.send({ type: 'ping', client_ref: 'alive' });
  expect(await client.next()).toEqual({ type: 'pong', client_ref: 'alive' });
}

/** Resolves once the wall clock has reached `epochSeconds` (what a JWT's `exp` is compared with). */
async function clockReaches(epochSeconds: number): Promise<void> {
  while (Math.floor(Date.now() / 1000) < epochSeconds) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, epochSeconds * 1000 - Date.now())));
  }
}

describe('WebSocket: the credential is checked again for every message', () => {
  it('a revoked key closes its open socket with 4001 at the next message, and no turn runs', async () => {
    const { headers } = await createTenantWithKey(baseUrl, ADMIN, 'ws-cred-revoke');
    const session = (await call('POST', '/v1/sessions', headers, {})).json.id as string;
    const keys = await call('GET', '/v1/keys', headers);
    const keyId = (keys.json.data as { id: string }[])[0]?.id as string;
    const reader = (await createKey(baseUrl, ADMIN, 'ws-cred-revoke', { name: 'reader' })).headers;
    const client = await connectWebSocket(baseUrl, headers);
    await pingAnswered(client);
    expect((await call('DELETE', `/v1/admin/tenants/ws-cred-revoke/keys/${keyId}`, admin)).status).toBe(204);
    // Over HTTP the key gets 401 at once…
    expect((await call('GET', '/v1/sessions', headers)).status).toBe(401);
    // …and the socket is closed at its next message instead of running a turn charged to it.
    client.send({ type: 'turn.start', session_id: session, content: 'after revocation', client_ref: 'late' });
    await expect(client.next()).rejects.toThrow(/closed \(code 4001\)/);
    expect(await client.closed).toBe(4001);
    const messages = await call('GET', `/v1/sessions/${session}/messages`, reader);
    expect(messages.status).toBe(200);
    expect(messages.json.data).toEqual([]);
  });

  it('a suspended tenant closes its sockets with 4003; a deleted tenant’s with 4001', async () => {
    const suspended = await createTenantWithKey(baseUrl, ADMIN, 'ws-cred-suspend');
    const deleted = await createTenantWithKey(baseUrl, ADMIN, 'ws-cred-delete');
    const first = await connectWebSocket(baseUrl, suspended.headers);
    const second = await connectWebSocket(baseUrl, deleted.headers);
    await pingAnswered(first);
    await pingAnswered(second);
    expect((await call('POST', '/v1/admin/tenants/ws-cred-suspend/suspend', admin)).status).toBe(200);
    expect((await call('DELETE', '/v1/admin/tenants/ws-cred-delete', admin)).status).toBe(204);
    first.send({ type: 'ping' });
    await expect(first.next()).rejects.toThrow(/closed \(code 4003\)/);
    second.send({ type: 'ping' });
    await expect(second.next()).rejects.toThrow(/closed \(code 4001\)/);
  });

  it('an expired JWT closes its socket with 4001 once it expires', async () => {
    await createTenantWithKey(baseUrl, ADMIN, 'ws-cred-jwt', {
      config: { jwt: { secret: TENANT_SECRET, clockSkewSeconds: 0 } },
    });
    // Valid for the upgrade, expired two seconds later (no clock skew allowed by the tenant's trust).
    const expiry = Math.floor(Date.now() / 1000) + 2;
    const token = await new SignJWT({ tenant_id: 'ws-cred-jwt', sub: 'user-1', scope: 'chat' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(expiry)
      .sign(new TextEncoder().encode(TENANT_SECRET));
    const client = await connectWebSocket(baseUrl, { authorization: `Bearer ${token}` });
    await pingAnswered(client);
    // The event awaited is the token's expiry: the clock passing `exp`.
    await clockReaches(expiry);
    client.send({ type: 'ping' });
    await expect(client.next()).rejects.toThrow(/closed \(code 4001\)/);
  });

  it('a key that is still valid keeps its socket open', async () => {
    const { headers } = await createTenantWithKey(baseUrl, ADMIN, 'ws-cred-valid');
    await createKey(baseUrl, ADMIN, 'ws-cred-valid', { name: 'other' });
    const client = await connectWebSocket(baseUrl, headers);
    await pingAnswered(client);
    await pingAnswered(client);
    await client.close();
  });
});
