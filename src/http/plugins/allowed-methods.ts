import type { FastifyInstance } from 'fastify';

interface RoutePattern {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * Records every route's URL pattern and methods as it is added (call before any route is
 * registered), and returns a lookup: the methods some route serves for a concrete path, sorted;
 * empty when no route has that path. The not-found handler uses it to answer 405 with `Allow`
 * instead of 404. It runs on that path only (never for a matched route), so it stays a plain scan.
 * `OPTIONS` alone does not make a path exist: a CORS catch-all would otherwise turn every 404 into 405.
 */
export function recordAllowedMethods(app: FastifyInstance): (path: string) => string[] {
  const routes = new Map<string, RoutePattern>();
  app.addHook('onRoute', (route) => {
    let entry = routes.get(route.url);
    if (!entry) {
      entry = { pattern: compile(route.url), methods: new Set() };
      routes.set(route.url, entry);
    }
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(method);
  });
  return (path) => {
    // The router ignores a trailing slash (`ignoreTrailingSlash`), so this does too.
    const target = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const allowed = new Set<string>();
    for (const { pattern, methods } of routes.values()) {
      if (pattern.test(target)) for (const method of methods) allowed.add(method);
    }
    if ([...allowed].every((method) => method === 'OPTIONS')) return [];
    return [...allowed].sort();
  };
}

/** A find-my-way URL pattern (`/v1/sessions/:id/messages`, `/docs/*`) as an anchored expression. */
function compile(url: string): RegExp {
  const trimmed = url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url;
  const source = trimmed
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}
