import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/load-config.ts';
import { createEnclave } from '../../src/server.ts';

export interface InProcessServer {
  baseUrl: string;
  /** The graceful close `serve` runs on SIGTERM (drain, then close the stores). */
  stop(): Promise<void>;
}

/**
 * The real server (the composition root `serve` uses) listening on a loopback port in this
 * process: for tests about what another process sees, without paying a Node start per server.
 */
export async function startInProcessServer(
  env: Record<string, string>,
  options: { simulatedWordDelayMs?: number } = {},
): Promise<InProcessServer> {
  const config = loadConfig({ ...env, HOST: '127.0.0.1' });
  const enclave = await createEnclave(config, { logger: false, ...options });
  await enclave.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = enclave.app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, stop: () => enclave.close() };
}
