import { Socket } from 'node:net';

/** Whether a TCP service answers on the URL's host and port (or `defaultPort`) within `timeoutMs`. */
export function reachable(url: URL, defaultPort: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(url.port || defaultPort), url.hostname, () => done(true));
  });
}
