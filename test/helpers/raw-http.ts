import { connect } from 'node:net';

export interface RawOutcome {
  status: number | null;
  body: string;
  error: string | null;
}

/**
 * One HTTP/1.1 request on a fresh TCP connection (`Connection: close`), written by hand. Unlike
 * node:http's request, whose end callback fires while the connection may still be opening, `sent`
 * resolves only once the connection is established and the whole request has been handed to the
 * kernel: on loopback it is then in the server's receive buffer, whatever the server is doing.
 * `done` resolves with the status and body once the server has closed the connection, or with the
 * error that ended it (a reset is `ECONNRESET`).
 */
export function rawRequest(
  port: number,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
): { sent: Promise<void>; done: Promise<RawOutcome> } {
  const body = options.body ?? '';
  const lines = [`${options.method} ${options.path} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close'];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  if (options.body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  const socket = connect({ host: '127.0.0.1', port });
  let markSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => {
    markSent = resolve;
  });
  const done = new Promise<RawOutcome>((resolve) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('end', () => {
      const [head = '', ...rest] = received.split('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
      resolve({ status: status ? Number(status) : null, body: rest.join('\r\n\r\n'), error: null });
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      markSent();
      resolve({ status: null, body: '', error: error.code ?? error.message });
    });
  });
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`, () => markSent());
  return { sent, done };
}
