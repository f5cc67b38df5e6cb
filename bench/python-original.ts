/**
 * The original Python/FastAPI implementation (bench/original/app.py, written from the seed
 * contract), run side by side with Enclave. It needs Debian's python3-fastapi and python3-uvicorn;
 * when they are missing the bench installs them with apt-get (as root), or skips the comparison
 * with a notice. The system Python is used (`/usr/bin/python3`), never a pyenv shim.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type ChildServer, startChildServer } from './child-server.ts';

const PYTHON = '/usr/bin/python3';
const PACKAGES = ['python3-fastapi', 'python3-uvicorn'];

function importable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import fastapi, uvicorn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether the original can run here, installing its Debian packages first if needed and allowed. */
export function ensurePythonOriginal(log: (line: string) => void): boolean {
  if (!existsSync(PYTHON)) {
    log(`python original: skipped, ${PYTHON} is missing`);
    return false;
  }
  if (importable()) return true;
  if (process.getuid?.() !== 0) {
    log(`python original: skipped, install ${PACKAGES.join(' ')} (apt-get) to compare`);
    return false;
  }
  log(`python original: installing ${PACKAGES.join(' ')} with apt-get`);
  const apt = { stdio: 'ignore' as const, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  try {
    execFileSync('apt-get', ['update', '-qq'], apt);
    execFileSync('apt-get', ['install', '-y', '-qq', ...PACKAGES], apt);
  } catch (error) {
    log(`python original: skipped, apt-get failed (${error instanceof Error ? error.message : String(error)})`);
    return false;
  }
  return importable();
}

/** Starts the original on a free loopback port: one uvicorn process, as it ran. */
export function startPythonOriginal(): Promise<ChildServer> {
  return startChildServer({
    name: 'python-original',
    command: PYTHON,
    args: ['-m', 'uvicorn', 'app:app', '--app-dir', 'bench/original', '--log-level', 'warning', '--no-access-log'],
    portArgs: (port) => ['--host', '127.0.0.1', '--port', String(port)],
    env: {},
    readyPath: '/docs',
  });
}
