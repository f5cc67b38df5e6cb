import { Server } from 'node:net';

/**
 * Preloaded (`node --import`) into a third-party server a test starts (the Portkey gateway): every
 * server it opens listens on 127.0.0.1 at a port the system picks, whatever host and port it asked
 * for, and the port is sent to the test over IPC. The gateway's CLI takes a port but no host, and
 * would otherwise listen on every interface.
 */
const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  const callback = args.findLast((arg) => typeof arg === 'function') as (() => void) | undefined;
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') process.send?.({ listening: address.port });
  });
  return listen.call(this, { port: 0, host: '127.0.0.1' }, callback);
} as typeof Server.prototype.listen;
