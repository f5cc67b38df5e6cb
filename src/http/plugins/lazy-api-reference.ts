import type { FastifyApiReferenceOptions } from '@scalar/fastify-api-reference';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';

/** The Scalar plugin's options; `routePrefix` is required (its routes are registered here). */
export type LazyApiReferenceOptions = FastifyApiReferenceOptions & { routePrefix: `/${string}` };

/**
 * The Scalar API reference at `routePrefix`, with Scalar imported on the first request instead of
 * at start: its plugin holds a 5 MB browser bundle as a string (about 10 MB of heap and 30 MB of
 * RSS), which most servers never serve. The routes exist from the start (so auth, hooks and
 * `ignoreTrailingSlash` treat them as before); their first call builds a private Fastify instance
 * with the Scalar plugin and every call is answered through its `inject()`.
 */
export function lazyApiReference(options: LazyApiReferenceOptions): FastifyPluginAsync {
  return async (app) => {
    let inner: Promise<FastifyInstance> | null = null;
    const load = async (): Promise<FastifyInstance> => {
      const { default: scalar } = await import('@scalar/fastify-api-reference');
      const reference = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
      await reference.register(scalar, options);
      await reference.ready();
      return reference;
    };
    app.addHook('onClose', async () => {
      await (await inner)?.close();
    });
    for (const url of [`${options.routePrefix}/`, `${options.routePrefix}/js/scalar.js`]) {
      app.get(url, { schema: { hide: true } }, async (request, reply) => {
        inner ??= load().catch((error: unknown) => {
          inner = null;
          throw error;
        });
        const response = await (await inner).inject({ method: 'GET', url: request.url, headers: request.headers });
        reply.code(response.statusCode);
        for (const name of ['content-type', 'location', 'content-disposition']) {
          const value = response.headers[name];
          if (value !== undefined) reply.header(name, value);
        }
        return reply.send(response.rawPayload);
      });
    }
  };
}
