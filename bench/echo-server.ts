/**
 * The ceiling: a bare node:http server that parses a JSON body and answers with a small JSON
 * body, with no framework, validation or storage. Listens on HOST:PORT from the environment.
 */
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let reply: string;
    try {
      const body: unknown = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const tenantId = typeof body === 'object' && body !== null && 'tenant_id' in body ? body.tenant_id : null;
      reply = JSON.stringify({ tenant_id: tenantId, response: 'echo' });
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid json"}');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(reply);
  });
});

server.keepAliveTimeout = 72_000;
server.listen(port, host);
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
