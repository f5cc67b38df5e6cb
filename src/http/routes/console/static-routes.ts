import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../../core/errors.ts';

/**
 * Every console response (pages, assets, the sign-in API, errors) carries these. No inline script
 * or style is allowed: the console is built to files (docs/console.md#csp).
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite writes content-hashed file names under `assets/`: they never change, so they are cached for a year. */
const HASHED_ASSET = /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The path inside the console folder that a request names, or null when it would leave it
 * (`..`, an absolute path, a NUL byte, a hidden file).
 */
export function consoleFilePath(root: string, relative: string): string | null {
  if (relative.includes('\0') || relative.includes('\\')) return null;
  const segments = relative.split('/').filter((segment) => segment.length > 0);
  if (segments.some((segment) => segment === '..' || segment.startsWith('.'))) return null;
  const path = resolve(root, ...segments);
  return path === root || path.startsWith(root + sep) ? path : null;
}

/**
 * `/console` and everything under it: the built single-page app from `web/dist` (`CONSOLE_DIR`).
 * A path that names a file serves it; any other path without a file extension serves
 * `index.html` (the app routes in the browser); `/console/api/…` paths that no route serves are
 * 404 problem+json. Without a build, 503 CONSOLE_NOT_BUILT says how to make one.
 */
export function consoleStaticRoutes(dir: string) {
  const root = resolve(dir);
  return async (app: FastifyInstance) => {
    async function send(reply: FastifyReply, path: string, cache: string) {
      const body = await readFile(path);
      return reply
        .type(CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
        .header('cache-control', cache)
        .send(body);
    }
    async function serve(relative: string, reply: FastifyReply) {
      const index = resolve(root, 'index.html');
      if (!(await isFile(index))) {
        throw new AppError(
          'CONSOLE_NOT_BUILT',
          `The web console is not built (no ${index}). Run \`npm run build:console\` (npm ci runs it when Vite is installed), or set CONSOLE_DIR to a built console.`,
        );
      }
      if (relative === 'api' || relative.startsWith('api/')) {
        throw new AppError('ROUTE_NOT_FOUND', `No console API route /console/${relative}`);
      }
      const path = consoleFilePath(root, relative);
      if (path === null) throw new AppError('ROUTE_NOT_FOUND', `No console file /console/${relative}`);
      if (path !== root && (await isFile(path))) {
        const cache = HASHED_ASSET.test(relative) ? 'public, max-age=31536000, immutable' : 'no-cache';
        return send(reply, path, cache);
      }
      // A missing file (it has an extension) is a 404, not the app: a broken asset link must show.
      if (extname(relative) !== '') throw new AppError('ROUTE_NOT_FOUND', `No console file /console/${relative}`);
      return send(reply, index, 'no-cache');
    }
    const options = { config: { public: true }, schema: { hide: true } } as const;
    app.get('/console', options, async (_request, reply) => serve('', reply));
    app.get<{ Params: { '*': string } }>('/console/*', options, async (request, reply) =>
      serve(request.params['*'], reply),
    );
    app.get('/', options, async (_request, reply) => reply.redirect('/console', 302));
  };
}
