/**
 * A small OpenAI-compatible streaming provider for the SSE bench, run as its own process:
 * `POST /v1/chat/completions` with `"stream": true` answers chat.completion.chunk events. The model
 * id sets the shape, `bench-<chunks>x<intervalMs>`: the first content chunk goes out at once, then
 * one more every `intervalMs`, then the finish and usage chunks and `[DONE]`. `GET /health` answers 200.
 */
import { createServer, type ServerResponse } from 'node:http';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

function chunk(id: string, delta: Record<string, unknown>, finish: string | null, usage: unknown = null): string {
  const body = {
    id,
    object: 'chat.completion.chunk',
    created: 1_741_570_283,
    model: 'bench',
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    usage,
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

function stream(response: ServerResponse, model: string, index: number): void {
  const match = /^bench-(\d+)x(\d+)$/.exec(model);
  const chunks = Math.max(1, Number(match?.[1] ?? 5));
  const intervalMs = Number(match?.[2] ?? 10);
  const id = `chatcmpl-bench-${index}`;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.write(chunk(id, { role: 'assistant', content: 'Hello' }, null));
  let sent = 1;
  const timer = setInterval(() => {
    if (sent < chunks) {
      response.write(chunk(id, { content: ` word${sent}` }, null));
      sent++;
      return;
    }
    clearInterval(timer);
    response.write(chunk(id, {}, 'stop'));
    response.end(
      `${chunk(id, {}, null, { prompt_tokens: 20, completion_tokens: chunks, total_tokens: 20 + chunks })}data: [DONE]\n\n`,
    );
  }, intervalMs);
  response.once('close', () => clearInterval(timer));
}

let requests = 0;
const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.end('ok');
    return;
  }
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    let model = '';
    try {
      model = String((JSON.parse(Buffer.concat(parts).toString('utf8')) as { model?: unknown }).model ?? '');
    } catch {
      response.writeHead(400).end();
      return;
    }
    stream(response, model, requests++);
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 60_000;
server.requestTimeout = 0;
server.listen(port, host);
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
