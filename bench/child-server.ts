import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/spawn-server.ts';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface ChildServer {
  name: string;
  baseUrl: string;
  pid: number | undefined;
  /** The tail of what the server wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Every child still running, so the bench can kill them all if it fails or is interrupted. */
const running = new Set<ChildProcess>();

export interface StartOptions {
  name: string;
  /** Arguments after the node binary (or `command`), relative to the project root. */
  args: string[];
  /** The program to run (default: this process's node binary). */
  command?: string;
  /** Arguments that tell a program which port to use, for one that does not read `PORT`. */
  portArgs?: (port: number) => string[];
  env: Record<string, string>;
  /** Answers 2xx once the server is ready. */
  readyPath: string;
  nodeOptions?: string[];
  /** Working directory of the server (default: this checkout). The A/B bench runs another checkout. */
  cwd?: string;
}

/** Starts a server (node by default) and waits until `readyPath` answers. */
export async function startChildServer(options: StartOptions): Promise<ChildServer> {
  const port = await freePort();
  const child = spawn(
    options.command ?? process.execPath,
    [...(options.nodeOptions ?? []), ...options.args, ...(options.portArgs?.(port) ?? [])],
    {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async (graceMs = 15_000): Promise<void> => {
    if (exited()) return;
    const done = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited()) throw new Error(`${options.name} exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
    try {
      const response = await fetch(`${baseUrl}${options.readyPath}`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop(0);
      throw new Error(`${options.name} did not become ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      process.stderr.write(`${options.name} exited (${code ?? signal}):\n${output}\n`);
  });
  return { name: options.name, baseUrl, pid: child.pid, output: () => output, stop };
}

/** The fake OpenAI-compatible streaming provider (bench/fake-stream-provider.ts) in its own process. */
export function startFakeStreamProvider(): Promise<ChildServer> {
  return startChildServer({
    name: 'fake-provider',
    args: ['bench/fake-stream-provider.ts'],
    env: {},
    readyPath: '/health',
  });
}

/** The bare forwarding proxy of bench/bare-proxy.ts in front of `provider`. */
export function startBareProxy(provider: ChildServer): Promise<ChildServer> {
  return startChildServer({
    name: 'bare-proxy',
    args: ['bench/bare-proxy.ts'],
    env: { UPSTREAM: provider.baseUrl },
    readyPath: '/',
  });
}

/** Kills every child server still running (used on failure and on Ctrl-C). */
export function killAllChildServers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * A bench's scratch folder, and `cleanUp`, which kills every child server, runs `before` (say,
 * removing a git worktree inside the folder) and removes the folder. The bench calls it when it
 * ends or fails; an interrupted run (Ctrl-C, `timeout`) calls it on SIGINT or SIGTERM and exits 130.
 */
export function benchScratch(prefix: string, before?: () => void): { dir: string; cleanUp: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cleanUp = (): void => {
    killAllChildServers();
    before?.();
    rmSync(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: stopping\n`);
      cleanUp();
      process.exit(130);
    });
  }
  return { dir, cleanUp };
}

/**
 * The V8 flags `npm start`, the image and the manifests give the server: a young generation of at
 * most 2 × 16 MiB (V8 grows it to 2 × 64 MiB under load on a large host; docs/operations.md, Memory).
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=16'];

let built = false;
/**
 * The arguments that start the server as `npm start` does: the built bundle (`dist/enclave.mjs`),
 * rebuilt from the sources once per bench process. Benches that compare commits (bench:turns) or
 * read profiles run the sources instead.
 */
export function builtServerArgs(): string[] {
  if (!built) {
    const result = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error('npm run build:server failed');
    built = true;
  }
  return [...SERVER_NODE_FLAGS, 'dist/enclave.mjs', 'serve'];
}

/** `--cpu-prof` flags for a server when BENCH_CPU_PROF names a folder (the profile is written when it stops). */
export function cpuProfileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`] : [];
}
