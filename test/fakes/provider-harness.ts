import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createTenantWithKey } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { type FakeLlmServer, startFakeLlmServer } from './fake-llm-server.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are parsed JSON that tests assert field by field, like `response.json()`.
type Json = any;

export const ADMIN_KEY = 'admin-key-for-provider-tests-0123456789abcdef';

export interface ProviderHarness {
  fake: FakeLlmServer;
  app: TestApp;
  /** The Enclave server's base URL (a real listener on a random port). */
  url: string;
  /** Calls Enclave as the operator, or with `token`; returns status, headers and the parsed body. */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string; accept?: string },
  ): Promise<{ status: number; headers: Headers; body: Json; text: string }>;
  /** Creates a tenant (through the admin API) with `config`, and an API key for it. */
  tenant(id: string, config: Record<string, unknown>): Promise<{ key: string }>;
  /** Creates a session and runs one turn as the tenant; SSE when `stream`. */
  turn(key: string, content: string, options?: { stream?: boolean }): Promise<TurnOutcome>;
  close(): Promise<void>;
}

export interface TurnOutcome {
  status: number;
  sessionId: string;
  body: Json;
  headers: Headers;
  /** SSE events, when streamed. */
  events: { event: string; data: Json }[];
}

function parseSse(text: string): { event: string; data: Json }[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines.find((line) => line.startsWith('data: '))?.slice(6) ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

/**
 * A fake LLM server and a real Enclave server (auth required, secrets enabled) listening on random
 * ports, with `providers(fakeUrl)` as its ENCLAVE_PROVIDERS and `env` for the key variables;
 * `fake` sets how the fake listens (HTTP/2).
 */
export async function startProviderHarness(
  providers: (fakeUrl: string) => unknown[],
  env: Record<string, string> = {},
  fakeOptions: Parameters<typeof startFakeLlmServer>[0] = {},
): Promise<ProviderHarness> {
  const fake = await startFakeLlmServer(fakeOptions);
  const app = await createTestApp({
    ENCLAVE_AUTH: 'required',
    ENCLAVE_ADMIN_KEY: ADMIN_KEY,
    ENCLAVE_MASTER_KEY: randomBytes(32).toString('base64'),
    ENCLAVE_PROVIDERS: JSON.stringify(providers(fake.url)),
    ...env,
  });
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`;
  const call: ProviderHarness['call'] = async (method, path, body, options = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? ADMIN_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.accept ? { accept: options.accept } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  return {
    fake,
    app,
    url,
    call,
    async tenant(id, config) {
      return { key: (await createTenantWithKey(url, ADMIN_KEY, id, { config })).key };
    },
    async turn(key, content, options = {}) {
      const session = await call('POST', '/v1/sessions', {}, { token: key });
      const sessionId = session.body.id as string;
      const response = await call(
        'POST',
        `/v1/sessions/${sessionId}/messages`,
        { content },
        { token: key, ...(options.stream ? { accept: 'text/event-stream' } : {}) },
      );
      const streamed = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
      return {
        status: response.status,
        sessionId,
        body: response.body,
        headers: response.headers,
        events: streamed ? parseSse(response.text) : [],
      };
    },
    async close() {
      await app.dispose();
      await fake.close();
    },
  };
}
