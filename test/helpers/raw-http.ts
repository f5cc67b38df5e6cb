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
  // Interim answers (100 Continue) are skipped; `raw` keeps them.
  while (/^HTTP\/1\.1 1\d\d /.test(text.slice(head))) {
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
