import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeLlmServer, startFakeLlmServer } from '../fakes/fake-llm-server.ts';
import { E2E_DIALECTS, type E2eDatabase, e2eDatabase } from '../helpers/e2e-database.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { type SpawnedServer, spawnServer } from '../helpers/spawn-server.ts';

const ADMIN_KEY = 'admin-key-for-idempotency-crash-0123456789abcdef';
// Not an OpenAI-family id, so the server loads no tokenizer before it listens (seconds on a busy machine).
const MODEL = { model: { provider: 'llm', id: 'fake-chat-model' } };

let dir: string;
let database: E2eDatabase | null;
let fake: FakeLlmServer;
const servers: SpawnedServer[] = [];

beforeEach(async () => {
  fake = await startFakeLlmServer();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop('SIGKILL');
  await fake.close();
  await database?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const masterKey = randomBytes(32).toString('base64');

async function start(): Promise<SpawnedServer> {
  const server = await spawnServer(
    {
      ...database?.env,
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: ADMIN_KEY,
      ENCLAVE_MASTER_KEY: masterKey,
      ENCLAVE_PROVIDERS: JSON.stringify([
        {
          id: 'llm',
          type: 'openai',
          api: 'chat',
          baseUrl: `${fake.url}/v1`,
          apiKeyEnv: 'TEST_OPENAI_KEY',
          models: ['fake-chat-model'],
        },
      ]),
      TEST_OPENAI_KEY: 'sk-platform',
      PROVIDER_MAX_RETRIES: '0',
      // A short lease, so the retry after the crash resolves the key within a second; the retry waits
      // far longer than that (without leases it would wait all of it, then get 409).
      IDEMPOTENCY_LEASE_MS: '1000',
      IDEMPOTENCY_WAIT_MS: '15000',
    },
    { readyTimeoutMs: 90_000 },
  );
  servers.push(server);
  return server;
}

for (const dialect of E2E_DIALECTS) {
  describe(`an Idempotency-Key on ${dialect} whose server is SIGKILLed mid-turn`, () => {
    beforeEach(async (context) => {
      dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-idempotency-'));
      database = await e2eDatabase(dialect, dir);
      if (!database) context.skip();
    });

    // Two server starts, each loading the tokenizers: on two shared cores that alone can take a minute.
    it('is resolved by a retry with the same key on the restarted server: the turn runs exactly once more', {
      timeout: 240_000,
    }, async () => {
      const first = await start();
      const tenantId = `crash-${Date.now().toString(36)}`;
      const { headers } = await createTenantWithKey(first.baseUrl, ADMIN_KEY, tenantId, { config: MODEL });
      const session = (await request(first.baseUrl, 'POST', '/v1/sessions', headers, {})).json.id as string;
      const send = (server: SpawnedServer) =>
        request(
          server.baseUrl,
          'POST',
          `/v1/sessions/${session}/messages`,
          { ...headers, 'idempotency-key': 'crash-once' },
          { content: 'book the room' },
        );

      // The first model call hangs; the server dies while it is in flight (the user message is stored).
      fake.script({ fixture: 'openai-chat-text', delayMs: 60_000 }, { fixture: 'openai-chat-text' });
      const lost = send(first).catch((error: unknown) => error);
      await expect.poll(() => fake.requests.length, { timeout: 10_000 }).toBe(1);
      await first.stop('SIGKILL');
      expect(await lost).toBeInstanceOf(Error);

      const second = await start();
      const retried = await send(second);
      expect(retried.status).toBe(200);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      expect(retried.json.reply.content[0].text).toBe('Hello from the fake OpenAI chat model.');
      expect(fake.requests).toHaveLength(2);

      const again = await send(second);
      expect([again.status, again.headers.get('idempotent-replayed'), again.text]).toEqual([200, 'true', retried.text]);
      expect(fake.requests).toHaveLength(2);

      const messages = (await request(second.baseUrl, 'GET', `/v1/sessions/${session}/messages`, headers)).json.data;
      // The dead attempt's user message, then the one turn that ran.
      expect(messages.map((message: { role: string }) => message.role)).toEqual(['user', 'user', 'assistant']);
      expect(messages[2].turn_id).toBe(retried.json.turn_id);
    });
  });
}
