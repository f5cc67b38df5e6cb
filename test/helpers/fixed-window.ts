/**
 * Requests-per-minute limits count in fixed one-minute windows (aligned to the epoch minute). A
 * test that sends N+1 requests and expects the last one refused fails if a window edge falls among
 * them; this waits, when the clock is within `marginMs` of the next edge, until just past it.
 */
export async function awayFromMinuteEdge(marginMs = 10_000): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 60_000 - marginMs) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
}
