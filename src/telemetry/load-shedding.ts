import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.ts';

/** What an overloaded server tells clients to wait before retrying, in seconds. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 5;

/**
 * Nothing is shed until the app has been ready this long (two of under-pressure's one-second
 * samples): building the app blocks the loop once, and that start-up lag is no overload.
 */
const START_GRACE_MS = 2_000;

export interface LoadSheddingOptions {
  /** Shed while the mean event-loop delay of the last sample exceeds this (ms); 0 never sheds. */
  maxEventLoopDelayMs: number;
  /** Route patterns that are always served: health, readiness and metrics must answer most under load. */
  exempt: readonly string[];
  /** Called for every shed request (for the rejection metric). */
  onShed(): void;
}

/**
 * Load shedding with `@fastify/under-pressure`: while the event loop is saturated, requests get
 * 503 OVERLOADED (problem+json through the error handler) with `Retry-After`, before any
 * authentication or storage work is spent on them. Register it before the other hooks.
 */
export async function registerLoadShedding(app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  if (options.maxEventLoopDelayMs === 0) return;
  const exempt = new Set(options.exempt);
  let readyAt: number | null = null;
  app.addHook('onReady', (done) => {
    readyAt = performance.now();
    done();
  });
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    pressureHandler: (request) => {
      // Returning nothing lets the request through.
      if (readyAt === null || performance.now() - readyAt < START_GRACE_MS) return undefined;
      if (request.routeOptions.url !== undefined && exempt.has(request.routeOptions.url)) return undefined;
      options.onShed();
      // A rejected promise reaches the error handler, which sends the problem and these headers.
      return Promise.reject(
        new AppError('OVERLOADED', 'The server is overloaded; retry shortly', {
          details: { headers: { 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) } },
        }),
      );
    },
  });
}
