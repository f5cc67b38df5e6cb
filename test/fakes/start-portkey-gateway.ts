import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface PortkeyGateway {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the Portkey AI gateway from npm (`@portkey-ai/gateway`, its own `start-server.js`) as a
 * child process listening on a loopback port only (see loopback-listen.ts). It dials out only to the
 * upstream a request names in `x-portkey-custom-host`, which the tests set to a loopback fake:
 * `--headless` leaves out its web console, no Redis or cloud credential is in its environment (so
 * no cache backend or credential lookup starts), no proxy variable is passed, and
 * `TRUSTED_CUSTOM_HOSTS` allows 127.0.0.1 alone.
 */
export async function startPortkeyGateway(): Promise<PortkeyGateway> {
  const entry = join(
    dirname(createRequire(import.meta.url).resolve('@portkey-ai/gateway/package.json')),
    'build/start-server.js',
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', new URL('./loopback-listen.ts', import.meta.url).href, entry, '--headless'],
    {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', TRUSTED_CUSTOM_HOSTS: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (errors.length < 4_000) errors += chunk.toString();
  });
  const started = new Promise<number>((resolve, reject) => {
    child.on('message', (message: { listening?: number }) => {
      if (typeof message.listening === 'number') resolve(message.listening);
    });
    child.once('exit', (code) => reject(new Error(`the Portkey gateway exited (${code}): ${errors}`)));
  });
  const port = await started;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
