/**
 * Records `last_used_at` at most once per `intervalMs` per key, off the request path: a key used
 * a thousand times a second costs one write a minute. Memory is bounded by `maxKeys`.
 */
export function createKeyUsageRecorder(options: {
  touch(tenantId: string, keyId: string, at: string): Promise<void>;
  onError(error: unknown): void;
  now?: () => number;
  intervalMs?: number;
  maxKeys?: number;
}) {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const lastWritten = new Map<string, number>();
  return (tenantId: string, keyId: string): void => {
    const at = now();
    const last = lastWritten.get(keyId);
    if (last !== undefined && at - last < intervalMs) return;
    if (lastWritten.size >= maxKeys) lastWritten.clear();
    lastWritten.set(keyId, at);
    options.touch(tenantId, keyId, new Date(at).toISOString()).catch(options.onError);
  };
}
