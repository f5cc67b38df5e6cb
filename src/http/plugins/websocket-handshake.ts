import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';

/** A `Sec-WebSocket-Key`: 16 bytes in base64 (RFC 6455 §4.1), as `ws` checks it. */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** One RFC 7230 token per subprotocol, separated by commas with optional spaces or tabs around them. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The protocol versions `ws` speaks; sent back when the client asks for another. */
const VERSIONS = ['13', '8'];

/** Why an upgrade request's handshake headers are unusable, or `null` when `ws` would accept them. */
export function handshakeFault(request: FastifyRequest): string | null {
  const { headers } = request;
  if (request.method !== 'GET') return 'A WebSocket upgrade must be a GET request';
  if (headers.upgrade?.toLowerCase() !== 'websocket') return 'Only "Upgrade: websocket" is supported';
  const key = headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return 'Sec-WebSocket-Key is missing or not 16 bytes in base64';
  const version = headers['sec-websocket-version'];
  if (version === undefined || !VERSIONS.includes(version.trim())) return 'Sec-WebSocket-Version must be 13';
  const protocol = headers['sec-websocket-protocol'];
  if (protocol !== undefined) {
    const names = protocol.split(',').map((name) => name.trim());
    if (names.some((name) => !TOKEN.test(name)) || new Set(names).size !== names.length)
      return 'Sec-WebSocket-Protocol must list distinct tokens separated by commas';
  }
  return null;
}

/**
 * Refuses an upgrade request whose handshake `ws` would refuse, on any route, before any other hook
 * runs: 400 MALFORMED_REQUEST as problem+json, where `ws` would answer a bare `text/html` 400 or 405.
 * The connection is closed after the answer (@fastify/websocket ends an upgrade request's socket).
 * Must be registered after `@fastify/websocket`, whose own hook marks upgrade requests (`request.ws`).
 */
export function registerWebSocketHandshakeCheck(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const fault = request.ws ? handshakeFault(request) : null;
    if (fault === null) {
      done();
      return;
    }
    // RFC 6455 §4.4: a refused version is answered with the versions the server speaks.
    if (fault.startsWith('Sec-WebSocket-Version')) reply.header('sec-websocket-version', VERSIONS.join(', '));
    done(new AppError('MALFORMED_REQUEST', fault));
  });
}
