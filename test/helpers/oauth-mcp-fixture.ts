import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthInfo,
  getOAuthProtectedResourceMetadataUrl,
  McpServer,
  OAuthError,
  OAuthErrorCode,
  oauthMetadataResponse,
  requireBearerAuth,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';

/**
 * A real OAuth 2.1 authorization server (RFC 8414 metadata, RFC 7591 registration, authorization
 * code with PKCE S256, refresh with rotation and reuse detection, client credentials) and an MCP
 * server written with the official server SDK that requires its bearer tokens, both on loopback.
 * The `whoami` tool answers with the identity the token was issued for, so a test can see whose
 * credential a call carried. The authorization endpoint approves at once (a test plays the
 * browser); `?test_user=` names who is signing in.
 */
export interface OAuthMcpFixture {
  /** The MCP endpoint (`…/mcp`). */
  mcpUrl: string;
  issuer: string;
  /** Token requests received, by grant type. */
  tokenRequests: Record<'authorization_code' | 'refresh_token' | 'client_credentials', number>;
  registrations: number;
  /** Refresh token families revoked because a used refresh token came back (reuse detection). */
  revokedFamilies: number;
  /** Every `whoami` call: the identity its token was issued for. */
  calls: string[];
  /** Makes every access token issued so far expire now (the client still thinks it valid). */
  expireAccessTokens(): void;
  /** Clients registered out of band, for client credentials and pre-registered authorization code. */
  addClient(clientId: string, clientSecret: string | null, identity?: string): void;
  close(): Promise<void>;
}

interface Grant {
  sub: string;
  clientId: string;
  family: string;
  scope: string;
}

export async function startOAuthMcpFixture(options: { accessTtlSeconds?: number } = {}): Promise<OAuthMcpFixture> {
  const ttl = options.accessTtlSeconds ?? 3600;
  const clients = new Map<string, { secret: string | null; identity: string; redirectUris: string[] }>();
  const codes = new Map<string, Grant & { challenge: string; redirectUri: string }>();
  const accessTokens = new Map<string, Grant & { exp: number }>();
  const refreshTokens = new Map<string, Grant & { used: boolean }>();
  const revoked = new Set<string>();
  const tokenRequests = { authorization_code: 0, refresh_token: 0, client_credentials: 0 };
  const calls: string[] = [];
  const fixture = { registrations: 0, revokedFamilies: 0 };
  let base = '';

  const metadata = () => ({
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    registration_endpoint: `${base}/register`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: ['tools'],
  });

  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const oauthError = (error: string, status = 400) => json(status, { error, error_description: error });

  function issue(grant: Grant) {
    const access = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    accessTokens.set(access, { ...grant, exp: Math.floor(Date.now() / 1000) + ttl });
    refreshTokens.set(refresh, { ...grant, used: false });
    return json(200, {
      access_token: access,
      token_type: 'Bearer',
      expires_in: ttl,
      refresh_token: refresh,
      scope: grant.scope,
    });
  }

  function clientOf(request: Request, form: URLSearchParams): string | null {
    const basic = request.headers.get('authorization');
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    if (basic?.startsWith('Basic ')) {
      const [user, pass] = Buffer.from(basic.slice(6), 'base64').toString().split(':');
      id = decodeURIComponent(user ?? '');
      secret = decodeURIComponent(pass ?? '');
    }
    const client = id ? clients.get(id) : undefined;
    if (!id || !client) return null;
    if (client.secret !== null && client.secret !== secret) return null;
    return id;
  }

  async function token(request: Request): Promise<Response> {
    const form = new URLSearchParams(await request.text());
    const grantType = form.get('grant_type');
    const clientId = clientOf(request, form);
    if (!clientId) return oauthError('invalid_client', 401);
    if (grantType === 'authorization_code') {
      tokenRequests.authorization_code++;
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (
        !code ||
        code.clientId !== clientId ||
        code.challenge !== challenge ||
        code.redirectUri !== form.get('redirect_uri')
      ) {
        return oauthError('invalid_grant');
      }
      return issue({ sub: code.sub, clientId, family: randomBytes(8).toString('hex'), scope: code.scope });
    }
    if (grantType === 'refresh_token') {
      tokenRequests.refresh_token++;
      const presented = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!presented || presented.clientId !== clientId || revoked.has(presented.family))
        return oauthError('invalid_grant');
      if (presented.used) {
        // Reuse of a rotated refresh token: the whole grant is revoked (OAuth 2.1 §6.1).
        revoked.add(presented.family);
        fixture.revokedFamilies++;
        return oauthError('invalid_grant');
      }
      presented.used = true;
      return issue({ sub: presented.sub, clientId, family: presented.family, scope: presented.scope });
    }
    if (grantType === 'client_credentials') {
      tokenRequests.client_credentials++;
      const client = clients.get(clientId);
      if (!client || client.secret === null) return oauthError('unauthorized_client');
      const access = randomBytes(24).toString('base64url');
      accessTokens.set(access, {
        sub: client.identity,
        clientId,
        family: '',
        scope: form.get('scope') ?? '',
        exp: Math.floor(Date.now() / 1000) + ttl,
      });
      return json(200, { access_token: access, token_type: 'Bearer', expires_in: ttl });
    }
    return oauthError('unsupported_grant_type');
  }

  function authorize(url: URL): Response {
    const clientId = url.searchParams.get('client_id') ?? '';
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    const client = clients.get(clientId);
    if (!client?.redirectUris.includes(redirectUri)) return oauthError('invalid_request');
    if (url.searchParams.get('code_challenge_method') !== 'S256' || !url.searchParams.get('code_challenge')) {
      return oauthError('invalid_request');
    }
    const code = randomBytes(16).toString('base64url');
    codes.set(code, {
      sub: url.searchParams.get('test_user') ?? 'admin',
      clientId,
      family: '',
      scope: url.searchParams.get('scope') ?? '',
      challenge: url.searchParams.get('code_challenge') ?? '',
      redirectUri,
    });
    const target = new URL(redirectUri);
    target.searchParams.set('code', code);
    const state = url.searchParams.get('state');
    if (state) target.searchParams.set('state', state);
    return new Response(null, { status: 302, headers: { location: target.href } });
  }

  async function register(request: Request): Promise<Response> {
    const body = (await request.json()) as { redirect_uris?: string[]; token_endpoint_auth_method?: string };
    const clientId = `dcr-${randomBytes(6).toString('hex')}`;
    const secret = body.token_endpoint_auth_method === 'none' ? null : randomBytes(16).toString('base64url');
    clients.set(clientId, { secret, identity: clientId, redirectUris: body.redirect_uris ?? [] });
    fixture.registrations++;
    return json(201, { ...body, client_id: clientId, ...(secret ? { client_secret: secret } : {}) });
  }

  const verifier = {
    async verifyAccessToken(tokenValue: string): Promise<AuthInfo> {
      const grant = accessTokens.get(tokenValue);
      if (!grant || grant.exp * 1000 <= Date.now() || revoked.has(grant.family)) {
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'unknown or expired token');
      }
      return {
        token: tokenValue,
        clientId: grant.clientId,
        scopes: [],
        expiresAt: grant.exp,
        extra: { sub: grant.sub },
      };
    },
  };

  async function mcp(request: Request): Promise<Response> {
    const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(new URL(`${base}/mcp`));
    const gate = await requireBearerAuth({ verifier, resourceMetadataUrl })(request);
    if (gate instanceof Response) return gate;
    const server = new McpServer({ name: 'oauth-fixture', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Whose token this call carries' }, async (ctx) => {
      const sub = String((ctx.http?.authInfo?.extra as { sub?: string } | undefined)?.sub ?? '');
      calls.push(sub);
      return { content: [{ type: 'text' as const, text: sub }] };
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    return transport.handleRequest(request, { authInfo: gate });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const wellKnown = oauthMetadataResponse(request, {
      oauthMetadata: metadata(),
      resourceServerUrl: new URL(`${base}/mcp`),
      scopesSupported: ['tools'],
    });
    if (wellKnown) return wellKnown;
    if (url.pathname === '/authorize') return authorize(url);
    if (url.pathname === '/token' && request.method === 'POST') return token(request);
    if (url.pathname === '/register' && request.method === 'POST') return register(request);
    if (url.pathname === '/mcp') return mcp(request);
    return new Response('not found', { status: 404 });
  }

  const server: Server = createServer((req, res) => {
    void toRequest(req)
      .then(handle)
      .then((response) => send(res, response))
      .catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function toRequest(req: IncomingMessage): Promise<Request> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    return new Request(new URL(req.url ?? '/', base), {
      method: req.method ?? 'GET',
      headers,
      ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
    });
  }

  return {
    mcpUrl: `${base}/mcp`,
    issuer: base,
    tokenRequests,
    get registrations() {
      return fixture.registrations;
    },
    get revokedFamilies() {
      return fixture.revokedFamilies;
    },
    calls,
    expireAccessTokens() {
      for (const grant of accessTokens.values()) grant.exp = 0;
    },
    addClient(clientId, clientSecret, identity = clientId) {
      clients.set(clientId, { secret: clientSecret, identity, redirectUris: [] });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (response.body) for await (const chunk of response.body) res.write(chunk);
  res.end();
}
