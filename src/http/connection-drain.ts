import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionDrain {
  /**
   * From now on every response says `Connection: close`, and node:http closes its connection after
   * it: a client stops reusing its keep-alive connections while the server still serves them, so
   * none is left idle for the final close to cut under a request. Idempotent.
   */
  start(): void;
  /**
   * Resolves once the connections that the kernel had queued for this server have been accepted
   * (node:http takes one per event-loop turn, so a busy server can leave many queued for seconds),
   * and every connection accepted but not yet read has delivered its first request (or closed), or
   * after `maxWaitMs`. Call it right before closing the server: node:http's close resets the queued
   * connections and destroys as idle those whose request it has not read yet, although the client
   * sent it (a busy event loop leaves many such; issue #16 item 12).
   */
  settle(maxWaitMs: number): Promise<void>;
}

/** Tracks the connections of `server` for a graceful shutdown (see `ConnectionDrain`). */
export function createConnectionDrain(server: Server): ConnectionDrain {
  /** Accepted connections that have not delivered a request yet. */
  const unread = new Set<Socket>();
  let onRead: (() => void) | null = null;
  let draining = false;
  let accepted = 0;
  const forget = (socket: Socket) => {
    if (unread.delete(socket)) onRead?.();
  };
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    unread.add(socket);
    socket.once('close', () => forget(socket));
  });
  // A WebSocket upgrade is a request too (it never reaches 'request').
  server.prependListener('upgrade', (request) => forget(request.socket));
  // Before Fastify's listener, so that the header is there whatever answers (a hijacked SSE stream too).
  server.prependListener('request', (request, response) => {
    forget(request.socket);
    if (draining && !response.headersSent) response.setHeader('connection', 'close');
  });
  return {
    start() {
      draining = true;
    },
    async settle(maxWaitMs) {
      const deadline = Date.now() + maxWaitMs;
      // Node accepts one queued connection per loop turn, in the turn's poll phase; a check-phase
      // callback (setImmediate) runs right after it. The first one may still belong to the current
      // turn (when called from the poll phase); from then on each one follows a poll: turn the loop
      // until a whole turn accepts nothing, i.e. the kernel's accept queue is empty.
      await new Promise((resolve) => setImmediate(resolve));
      for (;;) {
        const before = accepted;
        await new Promise((resolve) => setImmediate(resolve));
        if (accepted === before || Date.now() >= deadline) break;
      }
      const waiting = new Set(unread);
      if (waiting.size === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
        function finish() {
          clearTimeout(timer);
          onRead = null;
          resolve();
        }
        onRead = () => {
          for (const socket of waiting) if (!unread.has(socket)) waiting.delete(socket);
          if (waiting.size === 0) finish();
        };
        onRead();
      });
    },
  };
}
