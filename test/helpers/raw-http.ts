import { connect } from 'node:net';

/** The first HTTP answer read from a raw connection. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, for failure messages. */
  raw: string;
}

/**
 * Sends bytes exactly as given on a fresh loopback connection (so framing can be broken on purpose),
 * then `upload` more bytes of filler as long as the server reads them, and resolves with the first
 * answer once the server closes or the answer is complete. Bounded: the connection is dropped after
 * `idleMs` without traffic. Resolves `null` when no answer came at all.
 */
export function rawExchange(
  port: number,
  chunks: ReadonlyArray<string | Buffer>,
  options: { upload?: number; idleMs?: number } = {},
): Promise<RawAnswer | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let received = Buffer.alloc(0);
    const finish = () => {
      socket.destroy();
      resolve(parseAnswer(received.toString('latin1')));
    };
    socket.setTimeout(options.idleMs ?? 5_000, finish);
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const answer = parseAnswer(received.toString('latin1'));
      if (answer?.complete) finish();
    });
    socket.on('error', () => {});
    socket.on('close', finish);
    socket.on('connect', async () => {
      for (const chunk of chunks) socket.write(chunk);
      const filler = Buffer.alloc(64 * 1024, 'a');
      for (let sent = 0; sent < (options.upload ?? 0) && socket.writable; sent += filler.length) {
        await new Promise((done) => socket.write(filler, () => done(undefined)));
      }
    });
  });
}

function parseAnswer(text: string): (RawAnswer & { complete: boolean }) | null {
  let head = 0;
  // Interim answers (100 Continue) are skipped; `raw` keeps them. 101 Switching Protocols is the final answer.
  while (/^HTTP\/1\.1 1(?!01)\d\d /.test(text.slice(head))) {
    const interimEnd = text.indexOf('\r\n\r\n', head);
    if (interimEnd < 0) return null;
    head = interimEnd + 4;
  }
  const end = text.indexOf('\r\n\r\n', head);
  if (end < 0) return null;
  const [statusLine = '', ...lines] = text.slice(head, end).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let body = '';
    let offset = 0;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n', offset);
      if (lineEnd < 0) return { status, headers, body, raw: text, complete: false };
      const size = Number.parseInt(rest.slice(offset, lineEnd), 16);
      if (size === 0) return { status, headers, body, raw: text, complete: true };
      body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      offset = lineEnd + 2 + size + 2;
    }
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = Buffer.from(rest, 'latin1').subarray(0, length).toString('utf8');
  return { status, headers, body, raw: text, complete: Buffer.byteLength(rest, 'latin1') >= length };
}

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
