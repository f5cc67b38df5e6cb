import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface McpEverything {
  /** `http://127.0.0.1:<port>/mcp`: its Streamable HTTP endpoint. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the reference MCP server from npm (`@modelcontextprotocol/server-everything`) in
 * Streamable HTTP mode (`streamableHttp` argument) as a child process on a loopback port only: its
 * CLI takes `PORT` but no host, so loopback-listen.ts makes it listen on 127.0.0.1 at a port the
 * system picks and reports it here. Its environment holds PATH alone.
 */
export async function startMcpEverything(): Promise<McpEverything> {
  const entry = join(
    dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/package.json')),
    'dist/index.js',
  );
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', new URL('./loopback-listen.ts', import.meta.url).href, entry, 'streamableHttp'],
    { env: { PATH: process.env.PATH ?? '', PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (errors.length < 4_000) errors += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: { listening?: number }) => {
      if (typeof message.listening === 'number') resolve(message.listening);
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited (${code}): ${errors}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
