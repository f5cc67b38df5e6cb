/**
 * A client process of the SSE bench (forked by sse-concurrency.ts): opens streams at a steady rate
 * over raw node:http without keep-alive (one connection per stream), and records for each the time
 * from sending the request to the first chunk holding `marker` (the first text-delta event through
 * Enclave, the first content chunk from the provider directly).
 */
import { request } from 'node:http';

export interface ClientJob {
  baseUrl: string;
  headers: Record<string, string>;
  /** One stream per target. */
  targets: { path: string; body: string }[];
  /** Streams opened per second (spread evenly). */
  ratePerSecond: number;
  /** Text that marks the first byte of output. */
  marker: string;
  /** Text that marks a stream that ended well. */
  endMarker: string;
}

export type ClientMessage =
  | { type: 'half-open' }
  | { type: 'all-open' }
  | { type: 'done'; ttfbMs: number[]; completed: number; failed: number; errors: string[] };

/** Opens one stream; `onFirst` gets the time to its first output. */
export function openStream(
  job: Pick<ClientJob, 'baseUrl' | 'headers' | 'marker' | 'endMarker'>,
  target: ClientJob['targets'][number],
  onFirst: (ms: number) => void,
) {
  return new Promise<{ ok: boolean; first: boolean; error?: string }>((resolve) => {
    const started = performance.now();
    let first = false;
    let tail = '';
    let ok = false;
    const url = new URL(target.path, job.baseUrl);
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          ...job.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(target.body),
        },
      },
      (response) => {
        response.setEncoding('utf8');
        response.on('data', (text: string) => {
          if (!first && text.includes(job.marker)) {
            first = true;
            onFirst(performance.now() - started);
          }
          // After the first byte only the end marker matters: a short tail finds it across chunk edges.
          const joined = tail + text;
          if (joined.includes(job.endMarker)) ok = true;
          tail = joined.slice(-200);
        });
        response.on('end', () =>
          resolve(ok ? { ok, first } : { ok, first, error: `status ${response.statusCode}: ${tail}` }),
        );
        response.on('error', (error) => resolve({ ok: false, first, error: error.message }));
      },
    );
    outgoing.on('error', (error) => resolve({ ok: false, first, error: error.message }));
    outgoing.end(target.body);
  });
}

async function run(job: ClientJob, send: (message: ClientMessage) => void): Promise<void> {
  const ttfbMs: number[] = [];
  const errors: string[] = [];
  let completed = 0;
  let failed = 0;
  const gapMs = 1000 / job.ratePerSecond;
  const started = performance.now();
  const all: Promise<void>[] = [];
  // Streams that ended without a first byte count as settled too, or a failing run would never peak.
  let settled = 0;
  const settle = () => {
    ++settled;
    if (settled === Math.ceil(job.targets.length / 2)) send({ type: 'half-open' });
    if (settled === job.targets.length) send({ type: 'all-open' });
  };
  for (const [index, target] of job.targets.entries()) {
    const due = started + index * gapMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    all.push(
      openStream(job, target, (ms) => {
        ttfbMs.push(ms);
        settle();
      }).then((result) => {
        if (!result.first) settle();
        if (result.ok) completed++;
        else {
          failed++;
          if (errors.length < 5 && result.error) errors.push(result.error);
        }
      }),
    );
  }
  await Promise.all(all);
  send({ type: 'done', ttfbMs, completed, failed, errors });
}

// Only as a forked client (an IPC channel): importing this file for `openStream` starts nothing.
if (process.send)
  process.on('message', (job: ClientJob) => {
    run(job, (message) => process.send?.(message)).catch((error: unknown) => {
      process.send?.({ type: 'done', ttfbMs: [], completed: 0, failed: job.targets.length, errors: [String(error)] });
    });
  });
