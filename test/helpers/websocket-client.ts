import { once } from 'node:events';
import type { Socket } from 'node:net';
import WebSocket from 'ws';

export type ServerMessage = Record<string, unknown> & { type: string };

/** A real WebSocket client that queues what the server sends. */
export interface WebSocketClient {
  socket: WebSocket;
  send(message: unknown): void;
  /** The next server message (waits for it); rejects once the socket has closed with nothing left to read. */
  next(): Promise<ServerMessage>;
  /** Messages until one matches, that one included. */
  until(match: (message: ServerMessage) => boolean): Promise<ServerMessage[]>;
  pings: number;
  /** The close code the server sent, once the socket has closed. */
  closed: Promise<number>;
  /** Stops reading from the connection (the server's data waits in buffers), as a stalled client does. */
  pauseReading(): void;
  resumeReading(): void;
  close(): Promise<void>;
}

/** Opens `/v1/ws` on `baseUrl` (`http://…`) with the upgrade request's headers. */
export async function connectWebSocket(baseUrl: string, headers: Record<string, string>): Promise<WebSocketClient> {
  const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/v1/ws`, { headers });
  const queue: ServerMessage[] = [];
  const waiters: { resolve: (message: ServerMessage) => void; reject: (error: Error) => void }[] = [];
  let closedWith: number | null = null;
  // ws keeps the TCP socket private; pausing it is what a client that stops reading does.
  const tcp = () => (socket as unknown as { _socket: Socket })._socket;
  const client: WebSocketClient = {
    socket,
    pings: 0,
    closed: once(socket, 'close').then(([code]) => Number(code)),
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: () =>
      new Promise((resolve, reject) => {
        const queued = queue.shift();
        if (queued) resolve(queued);
        else if (closedWith !== null) reject(new Error(`The socket closed (code ${closedWith}) with no message left`));
        else waiters.push({ resolve, reject });
      }),
    async until(match) {
      const seen: ServerMessage[] = [];
      for (;;) {
        const message = await client.next();
        seen.push(message);
        if (match(message)) return seen;
      }
    },
    pauseReading: () => tcp().pause(),
    resumeReading: () => tcp().resume(),
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close();
      await client.closed;
    },
  };
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as ServerMessage;
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(message);
    else queue.push(message);
  });
  socket.on('close', (code) => {
    closedWith = code;
    for (const waiter of waiters.splice(0)) {
      waiter.reject(new Error(`The socket closed (code ${code}) with no message left`));
    }
  });
  socket.on('ping', () => {
    client.pings += 1;
  });
  await once(socket, 'open');
  return client;
}
