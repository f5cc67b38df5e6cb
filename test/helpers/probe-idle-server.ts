import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeReport } from './probe-report.ts';
import { freePort, ROOT } from './spawn-server.ts';

/**
 * Starts the server (`entry`: the sources, `src/cli/main.ts`, by default; `dist/enclave.mjs` is what
 * `npm start` runs, built by `npm run build:server`) with `serve` on a fresh SQLite file with
 * the module probe preloaded, waits until /readyz answers and `settleMs` more, and returns what
 * the probe reports (memory and loaded packages). `env` adds to (and overrides) this process's;
 * an undefined value removes the variable.
 */
export async function probeIdleServer(
  env: Record<string, string | undefined> = {},
  settleMs = 1_000,
  entry = 'src/cli/main.ts',
): Promise<ProbeReport> {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-idle-'));
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}`,
    LOG_LEVEL: 'warn',
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const child = spawn(process.execPath, ['--import', './test/helpers/module-probe.mjs', entry, 'serve'], {
    cwd: ROOT,
    env: { ...childEnv, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode})`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error('server did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const reply = once(child, 'message');
    child.send('probe');
    const [report] = (await reply) as [ProbeReport];
    return report;
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}
