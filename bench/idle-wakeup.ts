/**
 * `npm run bench:wakeup`: how much slower this machine runs the same small piece of work right after
 * the process was idle. The work is what a request does a little of everywhere: parse a Chat
 * Completions body and validate it with its zod schema, then serialize a dozen chunks. It runs hot
 * (back to back), then after idle gaps of 1, 5, 20 and 50 ms (a timer, as between the chunks of a
 * streamed reply), and prints the median time of each and its ratio to hot. On a virtual machine
 * whose vCPU halts while idle, caches and branch predictors are cold at every wake-up: a request
 * path that touches much code pays that at every stage, which is why the added latency at one
 * connection is several times the CPU the same path needs under load (docs/openai-compatibility.md).
 * Writes bench/results/idle-wakeup-<timestamp>.json.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { chatRequestSchema } from '../src/http/routes/openai/chat-request.ts';
import { machineInfo } from './machine.ts';
import { writeBenchResult } from './results-file.ts';

const body = JSON.stringify({
  model: 'bench/bench-10x20',
  messages: [
    { role: 'system', content: 'You are a benchmark.' },
    { role: 'user', content: 'Say three words.' },
  ],
  stream: true,
  stream_options: { include_usage: true },
});

function work(): void {
  const parsed = chatRequestSchema.safeParse(JSON.parse(body));
  if (!parsed.success) throw new Error('the bench body must validate');
  for (let index = 0; index < 12; index++) {
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      choices: [{ delta: { content: `w${index}` } }],
    });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function timed(gapMs: number, runs: number): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    if (gapMs > 0) await sleep(gapMs);
    const started = performance.now();
    work();
    times.push((performance.now() - started) * 1000);
  }
  return median(times);
}

for (let warm = 0; warm < 20_000; warm++) work();
const hot = await timed(0, 2_000);
const rows = [{ 'idle gap ms': 0, 'median µs': Number(hot.toFixed(1)), 'x hot': 1 }];
for (const gap of [1, 5, 20, 50]) {
  const micros = await timed(gap, 60);
  rows.push({ 'idle gap ms': gap, 'median µs': Number(micros.toFixed(1)), 'x hot': Number((micros / hot).toFixed(1)) });
}
console.table(rows);
const report = { at: new Date().toISOString(), machine: machineInfo(), rows };
process.stderr.write(`[bench:wakeup] wrote ${writeBenchResult('idle-wakeup', report, report.at)}\n`);
