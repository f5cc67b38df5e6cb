/**
 * The floor for a gateway on this machine: a bare node:http server that forwards each POST to
 * UPSTREAM (an OpenAI-compatible base URL) over a keep-alive undici pool and answers with what
 * came back. It parses the request's JSON and a JSON answer's (as a gateway that reads the model and
 * the usage must); a streamed answer's chunks it writes on as they arrive. It does nothing else: no
 * framework, authentication, storage or validation. The JSON-turn and chat benches measure it beside
 * Enclave, so the latency one more loopback hop adds on this machine is printed next to what
 * Enclave adds. Listens on HOST:PORT from the environment.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const upstream = new URL(process.env.UPSTREAM ?? 'http://127.0.0.1:1');
// As many keep-alive connections as requests in flight (undici's default), like any gateway in front of a streaming provider.
const pool = new Pool(upstream.origin);

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(200).end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const answer = await pool.request({
        method: 'POST',
        path: request.url ?? '/',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (body.stream === true) {
        response.writeHead(answer.statusCode, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for await (const chunk of answer.body) response.write(chunk);
        response.end();
        return;
      }
      const reply = JSON.stringify(await answer.body.json());
      response.writeHead(answer.statusCode, { 'content-type': 'application/json' }).end(reply);
    } catch (error) {
      response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
    }
  });
});

server.keepAliveTimeout = 72_000;
server.listen(port, host);
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
});
