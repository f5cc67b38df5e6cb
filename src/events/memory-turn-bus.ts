import type { CancelHandler, TurnBus } from '../core/turns/turn-bus.ts';

/**
 * The turn bus of a single process: running marks in a map, cancels delivered to this process's
 * handlers. Marks are removed when the turn ends; an expired one is dropped when next read.
 */
export function createMemoryTurnBus(options: { now?: () => number } = {}): TurnBus {
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();
  const handlers = new Set<CancelHandler>();
  const keyOf = (tenantId: string, turnId: string) => JSON.stringify([tenantId, turnId]);

  return {
    async publishCancel(tenantId, turnId) {
      for (const handler of handlers) handler(tenantId, turnId);
    },
    async onCancel(handler) {
      handlers.add(handler);
    },
    async markRunning(tenantId, turnId, ttlMs) {
      expiries.set(keyOf(tenantId, turnId), now() + ttlMs);
    },
    async isRunning(tenantId, turnId) {
      const key = keyOf(tenantId, turnId);
      const expiresAt = expiries.get(key);
      if (expiresAt === undefined) return false;
      if (expiresAt > now()) return true;
      expiries.delete(key);
      return false;
    },
    async markDone(tenantId, turnId) {
      expiries.delete(keyOf(tenantId, turnId));
    },
    async ready() {},
    async close() {
      handlers.clear();
    },
  };
}
