import type { FastifyRequest } from 'fastify';
import { CONSOLE_COOKIE } from '../auth/console-sessions.ts';

/** The value of the console cookie in a `Cookie` header, or undefined. */
export function consoleCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === CONSOLE_COOKIE) return part.slice(index + 1).trim();
  }
  return undefined;
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/**
 * `Secure` is set on the cookie unless the request is plain HTTP to a loopback host name
 * (`localhost`, `127.x.x.x`, `[::1]`), i.e. local development at http://localhost:3000. Any other
 * host gets `Secure`, so a deployment behind a TLS proxy keeps it (the proxy's public host name is
 * not loopback), and a plain-HTTP deployment on a real host name cannot sign in at all, which is
 * the point.
 */
export function cookieIsSecure(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  return !LOOPBACK_HOST.test(request.headers.host ?? '');
}

export function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = cookieIsSecure(request) ? '; Secure' : '';
  return `${CONSOLE_COOKIE}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

export function clearedCookie(request: FastifyRequest): string {
  const secure = cookieIsSecure(request) ? '; Secure' : '';
  return `${CONSOLE_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

/**
 * True when a browser request comes from a page of this server: `Sec-Fetch-Site` (when sent) is
 * `same-origin`, and `Origin` (when sent) names the request's own host. At least one of the two
 * must be present (every browser sends `Origin` on a state-changing fetch). The scheme of `Origin`
 * is not compared with the connection's, since a TLS proxy in front turns https into http.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  if (site === undefined && origin === undefined) return false;
  if (site !== undefined && site !== 'same-origin') return false;
  if (origin !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
    const host = (request.headers.host ?? '').toLowerCase();
    if (parsed.host.toLowerCase() !== host) return false;
  }
  return true;
}
