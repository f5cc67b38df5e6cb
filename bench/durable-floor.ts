/**
 * The floor for a durable legacy interaction on this machine: a bare node:http server that answers
 * `POST /agent/interact` by writing the rows an Enclave turn of a new tenant writes (the tenant,
 * the session, the user and assistant messages and the usage record, with Enclave's schema and
 * SQLite settings), one transaction per request, the transactions of one event-loop turn sharing
 * one COMMIT, and answers once that COMMIT has returned. No framework, authentication, limits,
 * idempotency, telemetry, model or second transaction: the figure says what the storage promise
 * alone costs here, between the echo ceiling and Enclave. Listens on HOST:PORT; DATABASE_PATH names
 * the SQLite file, migrated at start with Enclave's own migrations.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { migrateDatabase } from '../src/storage/create-storage.ts';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const path = process.env.DATABASE_PATH ?? '';
await migrateDatabase({ databaseUrl: `sqlite:${path}`, sqliteSynchronous: 'NORMAL' });

const database = new DatabaseSync(path);
for (const pragma of [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'busy_timeout = 5000',
  'temp_store = MEMORY',
  'wal_autocheckpoint = 4000',
])
  database.exec(`PRAGMA ${pragma}`);
const statements = {
  begin: database.prepare('BEGIN IMMEDIATE'),
  commit: database.prepare('COMMIT'),
  tenant: database.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
  session: database.prepare(
    `INSERT INTO sessions (tenant_id, id, title, user_id, metadata, last_seq, created_at, updated_at, agent_id)
     VALUES (?, ?, NULL, NULL, '{}', 2, ?, ?, NULL)`,
  ),
  message: database.prepare(
    `INSERT INTO messages (tenant_id, session_id, seq, id, turn_id, role, status, content, tool_calls, final,
       input_tokens, output_tokens, total_tokens, model, latency_ms, request_id, created_at, config_version, user_id, agent_id)
     VALUES (?, ?, ?, ?, ?, ?, 'completed', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL)`,
  ),
  usage: database.prepare(
    `INSERT INTO usage_records (tenant_id, id, session_id, turn_id, key_id, user_id, model, config_version, input_tokens,
       output_tokens, total_tokens, tool_calls, latency_ms, status, day, created_at, agent_id, estimated)
     VALUES (?, ?, ?, ?, NULL, NULL, 'simulated:floor', 0, 10, 12, 22, 0, 0, 'completed', ?, ?, NULL, 0)`,
  ),
};

interface Turn {
  tenantId: string;
  text: string;
  answer: string;
  response: ServerResponse;
}

function write(turn: Turn): void {
  const at = new Date().toISOString();
  const { tenantId } = turn;
  const sessionId = randomUUID();
  const turnId = randomUUID();
  const content = (text: string) => JSON.stringify([{ type: 'text', text }]);
  statements.tenant.run(tenantId, tenantId, at);
  statements.session.run(tenantId, sessionId, at, at);
  statements.message.run(
    tenantId,
    sessionId,
    1,
    turnId,
    turnId,
    'user',
    content(turn.text),
    0,
    null,
    null,
    null,
    '',
    null,
    randomUUID(),
    at,
  );
  statements.message.run(
    tenantId,
    sessionId,
    2,
    randomUUID(),
    turnId,
    'assistant',
    content(turn.answer),
    1,
    10,
    12,
    22,
    'simulated:floor',
    0,
    randomUUID(),
    at,
  );
  statements.usage.run(tenantId, randomUUID(), sessionId, turnId, at.slice(0, 10), at);
}

let pending: Turn[] = [];
function flush(): void {
  const batch = pending;
  pending = [];
  statements.begin.run();
  try {
    for (const turn of batch) write(turn);
    statements.commit.run();
  } catch (error) {
    if (database.isTransaction) database.exec('ROLLBACK');
    for (const turn of batch) turn.response.writeHead(500).end(String(error));
    return;
  }
  for (const turn of batch) {
    const body = JSON.stringify({ tenant_id: turn.tenantId, response: turn.answer });
    turn.response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  }
}

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let body: { tenant_id?: unknown; message?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      response.writeHead(400).end();
      return;
    }
    if (typeof body.tenant_id !== 'string' || typeof body.message !== 'string') {
      response.writeHead(422).end();
      return;
    }
    const turn = { tenantId: body.tenant_id, text: body.message, answer: `You said: ${body.message}`, response };
    if (pending.push(turn) === 1) setImmediate(flush);
  });
});

server.keepAliveTimeout = 72_000;
server.listen(port, host);
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => {
    database.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 1_000).unref();
});
