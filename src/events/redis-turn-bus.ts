import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { CancelHandler, TurnBus } from '../core/turns/turn-bus.ts';
import { redisUnavailable } from './redis-unavailable.ts';

/** Where the bus reports what it ignores or cannot reach (a pino logger fits). */
export interface TurnBusLog {
  warn(details: object, message: string): void;
}

/** A cancel as published: the pair, nothing else. Anything else on the channel is ignored. */
const cancelMessage = z.object({ tenantId: z.string().min(1).max(128), turnId: z.string().min(1).max(128) }).strict();

const RESUBSCRIBE_DELAY_MS = 1_000;

/**
 * The turn bus on Redis, shared by every replica. A running turn is the key
 * `<prefix>turn:<tenantId>:<turnId>` with a TTL (refreshed by its registry while it runs; tenant
 * ids cannot contain `:`, so the key is unambiguous). Cancels are published on
 * `<prefix>turn-cancel` as `{"tenantId","turnId"}`; every replica receives every cancel and acts
 * only on its own turn with exactly that pair.
 *
 * `redis` is the caller's connection (commands; it stays open on `close`). Pub/sub needs a
 * connection of its own, which the bus duplicates from it on the first `onCancel`.
 */
export function createRedisTurnBus(redis: Redis, options: { prefix?: string; log: TurnBusLog }): TurnBus {
  const prefix = options.prefix ?? 'enclave:';
  const channel = `${prefix}turn-cancel`;
  const keyOf = (tenantId: string, turnId: string) => `${prefix}turn:${tenantId}:${turnId}`;
  const handlers = new Set<CancelHandler>();
  let subscriber: Redis | null = null;
  let subscription: Promise<void> | null = null;
  let subscribed = false;

  /** Redis errors become 503 NOT_READY for the caller: the bus is down, not the request wrong. */
  async function command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw redisUnavailable('turn event bus', error);
    }
  }

  function deliver(raw: string) {
    let parsed: z.ZodSafeParseResult<z.infer<typeof cancelMessage>>;
    try {
      parsed = cancelMessage.safeParse(JSON.parse(raw));
    } catch {
      options.log.warn({ channel, bytes: raw.length, reason: 'not JSON' }, 'ignored an invalid turn cancel message');
      return;
    }
    if (!parsed.success) {
      const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      options.log.warn({ channel, bytes: raw.length, reason }, 'ignored an invalid turn cancel message');
      return;
    }
    for (const handler of handlers) handler(parsed.data.tenantId, parsed.data.turnId);
  }

  let closed = false;
  let retry: ReturnType<typeof setTimeout> | null = null;

  /**
   * Subscribes on a connection of its own. SUBSCRIBE inherits the command timeout, so on a slow
   * start (a loaded machine, Redis restarting) it can fail; then the connection is dropped and the
   * subscription tried again a second later, until it holds or the bus closes. Without the retry a
   * replica that started during a Redis hiccup stayed unready (and deaf to cancels) for good.
   */
  function subscribe(): Promise<void> {
    // Queued until connected (instead of failing like the command connection), and resubscribed
    // by ioredis after every reconnect.
    const connection = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber = connection;
    connection.on('error', (error: unknown) => options.log.warn({ err: error }, 'turn bus subscriber error'));
    connection.on('message', (from: string, message: string) => {
      if (from === channel) deliver(message);
    });
    return connection.subscribe(channel).then(
      () => {
        subscribed = true;
      },
      (error: unknown) => {
        if (subscriber === connection) {
          subscriber = null;
          connection.disconnect();
          if (!closed) {
            options.log.warn({ err: error }, 'turn bus could not subscribe to cancels; trying again in 1 s');
            retry = setTimeout(() => {
              retry = null;
              subscription = subscribe();
              subscription.catch(() => {});
            }, RESUBSCRIBE_DELAY_MS);
            retry.unref();
          }
        }
        throw redisUnavailable('turn event bus', error);
      },
    );
  }

  return {
    async publishCancel(tenantId, turnId) {
      await command(() => redis.publish(channel, JSON.stringify({ tenantId, turnId })));
    },
    onCancel(handler) {
      handlers.add(handler);
      subscription ??= subscribe();
      return subscription;
    },
    async markRunning(tenantId, turnId, ttlMs) {
      await command(() => redis.set(keyOf(tenantId, turnId), '1', 'PX', ttlMs));
    },
    async isRunning(tenantId, turnId) {
      return (await command(() => redis.exists(keyOf(tenantId, turnId)))) === 1;
    },
    async markDone(tenantId, turnId) {
      await command(() => redis.del(keyOf(tenantId, turnId)));
    },
    async ready() {
      if (!subscriber || !subscribed || subscriber.status !== 'ready') throw new Error('not subscribed to cancels');
      await subscriber.ping();
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      handlers.clear();
      const connection = subscriber;
      subscriber = null;
      subscribed = false;
      await connection?.quit().catch(() => connection.disconnect());
    },
  };
}
