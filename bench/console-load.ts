/**
 * The web console's weight and first load: builds web/dist if it is stale, reports the initial
 * JavaScript (every script and module preload index.html names) gzipped, then starts the real
 * server on a loopback port and loads /console in Chromium with a cold cache RUNS times (default 5),
 * reporting the median time until the sign-in form is on screen and the navigation's load event.
 * Budgets (issue 13): initial JS < 250 KB gzipped, first load < 1 s on loopback.
 *
 *   node bench/console-load.ts     (RUNS=n for more runs)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ensureConsoleBuilt, launchChromium, startConsoleServer } from '../test/console/console-harness.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const DIST = resolve(import.meta.dirname, '../web/dist');
const JS_BUDGET = 250 * 1024;
const LOAD_BUDGET_MS = 1000;

await ensureConsoleBuilt();
const html = readFileSync(join(DIST, 'index.html'), 'utf8');
const scripts = [
  ...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/console\/([^"]+)"/g),
].map((match) => match[1] ?? '');
let raw = 0;
let gzipped = 0;
for (const file of scripts) {
  const bytes = readFileSync(join(DIST, file));
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}

const server = await startConsoleServer();
const browser = await launchChromium();
const visible: number[] = [];
const loaded: number[] = [];
try {
  // One warm-up load (Chromium's own first-page costs), then RUNS measured loads, each in a fresh
  // context (an empty cache).
  for (let run = -1; run < RUNS; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(`${server.baseUrl}/console/`);
    await page.getByLabel('API key or admin key').waitFor();
    const took = performance.now() - started;
    const load = await page.evaluate<number>(
      "performance.getEntriesByType('navigation')[0].loadEventEnd - performance.getEntriesByType('navigation')[0].startTime",
    );
    await context.close();
    if (run < 0) continue;
    visible.push(took);
    loaded.push(load);
  }
} finally {
  await browser.close();
  await server.stop();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const report = {
  initial_js_files: scripts,
  initial_js_raw: kb(raw),
  initial_js_gzip: kb(gzipped),
  initial_js_budget: kb(JS_BUDGET),
  first_load_sign_in_visible_ms_median: Math.round(median(visible)),
  first_load_event_ms_median: Math.round(median(loaded)),
  first_load_budget_ms: LOAD_BUDGET_MS,
  runs: RUNS,
  load_average: loadavg()
    .map((value) => value.toFixed(1))
    .join(' '),
};
console.log(JSON.stringify(report, null, 2));
if (gzipped > JS_BUDGET || median(visible) > LOAD_BUDGET_MS) {
  console.error('over budget');
  process.exitCode = 1;
}
