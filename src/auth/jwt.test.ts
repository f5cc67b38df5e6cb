import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, type JwtFailureReason, type JwtTrust, JwtVerificationError } from './jwt.ts';

const SECRET = 'an-hs256-shared-secret-of-at-least-32-bytes';
const now = () => Math.floor(Date.now() / 1000);

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string, alg: 'RS256' | 'ES256' | 'EdDSA'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(payload: JWTPayload, key: SigningKey | string, header: Record<string, unknown> = {}): Promise<string> {
  const jwt = new SignJWT({ tenant_id: 'acme', sub: 'user-1', scope: 'chat history:read', ...payload });
  if (typeof key === 'string')
    return jwt.setProtectedHeader({ alg: 'HS256', ...header }).sign(new TextEncoder().encode(key));
  return jwt.setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

async function expectReason(promise: Promise<unknown>, reason: JwtFailureReason): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JwtVerificationError);
  expect((error as JwtVerificationError).reason).toBe(reason);
}

/** A local JWKS endpoint whose key set can be swapped at runtime. */
let server: Server;
let jwksUrl: string;
let published: JWK[] = [];
let fetches = 0;

let rsa1: SigningKey;
let rsa2: SigningKey;
let ec: SigningKey;
let ed: SigningKey;

beforeAll(async () => {
  [rsa1, rsa2, ec, ed] = await Promise.all([
    makeKey('rsa-1', 'RS256'),
    makeKey('rsa-2', 'RS256'),
    makeKey('ec-1', 'ES256'),
    makeKey('ed-1', 'EdDSA'),
  ]);
  published = [rsa1.jwk, ec.jwk, ed.jwk];
  server = createServer((req, res) => {
    fetches++;
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const verifier = createJwtVerifier({ timeoutMs: 2000 });
const secretTrust: JwtTrust = { secret: SECRET };
const jwksTrust = (extra: Partial<JwtTrust> = {}): JwtTrust => ({ jwksUrl, ...extra });

describe('HS256 shared secret', () => {
  it('accepts a valid token and maps tenant, user and scopes', async () => {
    const token = await sign({ exp: now() + 60, scope: 'chat history:read bogus chat' }, SECRET);
    const verified = await verifier.verify(token, secretTrust);
    expect(verified.tenantId).toBe('acme');
    expect(verified.userId).toBe('user-1');
    expect(verified.scopes).toEqual(['chat', 'history:read']);
    expect(verified.claims.sub).toBe('user-1');
  });

  it('rejects a wrong secret as signature', async () => {
    const token = await sign({}, 'another-secret-that-is-also-32-bytes-long!');
    await expectReason(verifier.verify(token, secretTrust), 'signature');
  });

  it('rejects alg=none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ tenant_id: 'acme', sub: 'user-1' }));
    const token = `${header}.${payload}.`;
    expect(verifier.looksLikeJwt(token)).toBe(true);
    await expectReason(verifier.verify(token, secretTrust), 'algorithm');
    await expectReason(verifier.verify(token, jwksTrust()), 'algorithm');
  });

  it('rejects an RS256 token presented to a secret trust', async () => {
    await expectReason(verifier.verify(await sign({}, rsa1), secretTrust), 'algorithm');
  });

  it('checks exp with clock skew', async () => {
    await expectReason(verifier.verify(await sign({ exp: now() - 120 }, SECRET), secretTrust), 'expired');
    const withinSkew = await sign({ exp: now() - 10 }, SECRET);
    await expect(verifier.verify(withinSkew, secretTrust)).resolves.toMatchObject({ tenantId: 'acme' });
    await expectReason(verifier.verify(withinSkew, { ...secretTrust, clockSkewSeconds: 0 }), 'expired');
  });

  it('rejects nbf in the future', async () => {
    await expectReason(verifier.verify(await sign({ nbf: now() + 600 }, SECRET), secretTrust), 'not-yet-valid');
  });

  it('checks issuer and audience when configured', async () => {
    const trust: JwtTrust = { ...secretTrust, issuer: 'https://idp.example', audience: 'enclave' };
    const good = await sign({ iss: 'https://idp.example', aud: ['other', 'enclave'] }, SECRET);
    await expect(verifier.verify(good, trust)).resolves.toMatchObject({ tenantId: 'acme' });
    await expectReason(
      verifier.verify(await sign({ iss: 'https://idp.example', aud: 'x' }, SECRET), trust),
      'audience',
    );
    await expectReason(verifier.verify(await sign({ iss: 'https://idp.example' }, SECRET), trust), 'audience');
    await expectReason(verifier.verify(await sign({ iss: 'https://evil', aud: 'enclave' }, SECRET), trust), 'issuer');
  });

  it('requires a non-empty string tenant claim', async () => {
    await expectReason(verifier.verify(await sign({ tenant_id: undefined }, SECRET), secretTrust), 'missing-tenant');
    await expectReason(verifier.verify(await sign({ tenant_id: '' }, SECRET), secretTrust), 'missing-tenant');
    await expectReason(verifier.verify(await sign({ tenant_id: 42 }, SECRET), secretTrust), 'missing-tenant');
  });

  it('rejects a user claim outside the user-id rule (NUL, surrogates, spaces, too long), which could never be erased', async () => {
    for (const sub of ['a\u0000b', 'a\ud800b', 'tab\tuser\u0007', 'a b', 'é', 'x'.repeat(129), 'x'.repeat(5000)])
      await expectReason(verifier.verify(await sign({ sub }, SECRET), secretTrust), 'bad-user');
    const kept = await verifier.verify(await sign({ sub: `auth0|user.1:a@b-${'x'.repeat(111)}` }, SECRET), secretTrust);
    expect(kept.userId).toHaveLength(128);
  });

  it('rejects a scopes claim that is neither a string nor an array of strings', async () => {
    await expectReason(verifier.verify(await sign({ scope: 7 }, SECRET), secretTrust), 'bad-scopes');
    await expectReason(verifier.verify(await sign({ scope: ['chat', 1] }, SECRET), secretTrust), 'bad-scopes');
    const noScopes = await verifier.verify(await sign({ scope: undefined, sub: undefined }, SECRET), secretTrust);
    expect(noScopes).toMatchObject({ scopes: [], userId: null });
  });

  it('maps custom claim names (tenant "org", scopes "permissions" as an array)', async () => {
    const trust: JwtTrust = { ...secretTrust, claims: { tenant: 'org', user: 'email', scopes: 'permissions' } };
    const token = await sign(
      { tenant_id: 'wrong', org: 'globex', email: 'a@globex.test', permissions: ['config:write', 'x', 'keys:manage'] },
      SECRET,
    );
    const verified = await verifier.verify(token, trust);
    expect(verified).toMatchObject({ tenantId: 'globex', userId: 'a@globex.test' });
    expect(verified.scopes).toEqual(['config:write', 'keys:manage']);
    expect(verifier.peekTenant(token, 'org')).toBe('globex');
  });

  it('rejects unusable trust configurations as TypeError', async () => {
    const token = await sign({}, SECRET);
    await expect(verifier.verify(token, { secret: 'short' })).rejects.toThrow(TypeError);
    await expect(verifier.verify(token, {})).rejects.toThrow(TypeError);
    await expect(verifier.verify(token, { secret: SECRET, jwksUrl })).rejects.toThrow(TypeError);
  });
});

describe('JWKS', () => {
  it('accepts valid RS256, ES256 and EdDSA tokens', async () => {
    for (const key of [rsa1, ec, ed]) {
      const verified = await verifier.verify(await sign({ exp: now() + 60 }, key), jwksTrust());
      expect(verified).toMatchObject({ tenantId: 'acme', userId: 'user-1', scopes: ['chat', 'history:read'] });
    }
  });

  it('rejects an HS256 token even when signed with the public key material (algorithm confusion)', async () => {
    const confused = await sign({}, JSON.stringify(rsa1.jwk), { kid: rsa1.kid });
    await expectReason(verifier.verify(confused, jwksTrust()), 'algorithm');
  });

  it('rejects a token whose signature does not match the key named by kid', async () => {
    const forged = await sign({}, { ...rsa2, kid: rsa1.kid });
    await expectReason(verifier.verify(forged, jwksTrust()), 'signature');
  });

  it('rejects an unknown kid', async () => {
    await expectReason(verifier.verify(await sign({}, { ...rsa2, kid: 'nope' }), jwksTrust()), 'unknown-key');
  });

  it('follows key rotation: new key verifies after refetch, retired key fails', async () => {
    const rotating = createJwtVerifier({ jwksCooldownMs: 0 });
    const oldToken = await sign({}, rsa1);
    await expect(rotating.verify(oldToken, jwksTrust())).resolves.toMatchObject({ tenantId: 'acme' });

    published = [rsa2.jwk, ec.jwk, ed.jwk];
    try {
      const before = fetches;
      await expect(rotating.verify(await sign({}, rsa2), jwksTrust())).resolves.toMatchObject({ tenantId: 'acme' });
      expect(fetches).toBeGreaterThan(before);
      await expectReason(rotating.verify(oldToken, jwksTrust()), 'unknown-key');
    } finally {
      published = [rsa1.jwk, ec.jwk, ed.jwk];
    }
  });

  it('tries each candidate when several keys match a token without kid', async () => {
    published = [rsa1.jwk, rsa2.jwk].map(({ kid: _kid, ...jwk }) => jwk);
    try {
      const fresh = createJwtVerifier();
      const token = await new SignJWT({ tenant_id: 'acme' }).setProtectedHeader({ alg: 'RS256' }).sign(rsa2.privateKey);
      await expect(fresh.verify(token, jwksTrust())).resolves.toMatchObject({ tenantId: 'acme' });
      const [header, , signature] = token.split('.');
      const forged = `${header}.${base64url.encode(JSON.stringify({ tenant_id: 'evil' }))}.${signature}`;
      await expectReason(fresh.verify(forged, jwksTrust()), 'signature');
    } finally {
      published = [rsa1.jwk, ec.jwk, ed.jwk];
    }
  });

  it('reports jwks-unavailable when the JWKS cannot be fetched', async () => {
    const token = await sign({}, rsa1);
    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((resolve) => down.close(() => resolve()));
    const fresh = createJwtVerifier({ timeoutMs: 2000 });
    await expectReason(fresh.verify(token, { jwksUrl: `http://127.0.0.1:${port}/jwks.json` }), 'jwks-unavailable');
    await expectReason(fresh.verify(token, { jwksUrl: `${jwksUrl}.missing` }), 'jwks-unavailable');
  });

  it('uses the injected fetch', async () => {
    const calls: string[] = [];
    const injected: typeof fetch = async (input) => {
      calls.push(String(input));
      return Response.json({ keys: [rsa1.jwk] });
    };
    const custom = createJwtVerifier({ fetch: injected });
    const trust = { jwksUrl: 'https://idp.example/.well-known/jwks.json' };
    await expect(custom.verify(await sign({}, rsa1), trust)).resolves.toMatchObject({ tenantId: 'acme' });
    expect(calls).toEqual([trust.jwksUrl]);
  });
});

describe('peekTenant and looksLikeJwt', () => {
  it('reads the tenant claim without verifying', async () => {
    const token = await sign({}, 'not-the-real-secret-but-long-enough-anyway');
    expect(verifier.peekTenant(token)).toBe('acme');
    expect(verifier.looksLikeJwt(token)).toBe(true);
  });

  it('returns null for garbage and tokens without a string tenant claim', async () => {
    for (const garbage of ['', 'ek_live_abc123', 'a.b', 'a.b.c', '!!!.???.***', 'x'.repeat(20_000)]) {
      expect(verifier.peekTenant(garbage)).toBeNull();
    }
    expect(verifier.peekTenant(await sign({ tenant_id: 1 }, SECRET))).toBeNull();
    expect(verifier.looksLikeJwt('ek_live_abc123')).toBe(false);
    await expectReason(verifier.verify('ek_live_abc123', secretTrust), 'malformed');
  });
});
