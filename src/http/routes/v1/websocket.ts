import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AppError, isAppError } from '../../../core/errors.ts';
import { cancelWhenUnwatched } from '../../../core/turns/cancel-when-unwatched.ts';
import { type TenantAccess, tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { openTurnEvents } from '../../open-turn-events.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import type { StreamSettings } from '../../sse/stream-turn.ts';
import { turnEventJson } from '../../sse/turn-event-json.ts';
import { type ClientMessage, clientMessageSchema, clientRefOf, describeIssues } from './websocket-messages.ts';

export interface WebSocketOptions extends StreamSettings {
  messageMaxChars: number;
}

/** A turn started on one socket, as the socket tracks it. */
interface SocketTurn {
  tenantId: string;
  abort: AbortController;
  background: boolean;
  /** Known from `turn-start` on. */
  turnId: string | null;
  ended: boolean;
}

type Send = (message: Record<string, unknown>) => void;

/**
 * `GET /v1/ws`: the turn protocol over a WebSocket (docs/api.md#websocket). The upgrade request is
 * authenticated like any HTTP request (Authorization header; Tenant-ID where auth is disabled) and
 * refused with problem+json before the upgrade when it fails. Every message acts for that tenant.
 * Needs `@fastify/websocket` registered on the app (build-app.ts does, with the body limit as the
 * largest message: a larger frame closes the socket with 1009).
 */
export function websocketRoutes(services: AppServices, options: WebSocketOptions): FastifyPluginAsync {
  return async (app) => {
    app.route({
      method: 'GET',
      url: '/v1/ws',
      // OpenAPI cannot describe a WebSocket protocol: docs/api.md does, and test/http/websocket.test.ts checks it.
      schema: { hide: true },
      // Refused before the upgrade, as problem+json: no credential, another tenant, no chat scope, suspended.
      preHandler: async (request) => {
        await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
      },
      handler: async () => {
        throw new AppError('UPGRADE_REQUIRED', 'GET /v1/ws is a WebSocket endpoint: send an upgrade request');
      },
      wsHandler: (socket, request) => {
        serveSocket(services, socket, request, options);
      },
    });
  };
}

function serveSocket(services: AppServices, socket: WebSocket, request: FastifyRequest, options: WebSocketOptions) {
  const parse = clientMessageSchema(options);
  const turns = new Set<SocketTurn>();
  const readers = new Set<AbortController>();
  let started = 0;
  const send: Send = (message) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const fail = (error: unknown, ref: { client_ref?: string }) => {
    const failure = isAppError(error) ? error : new AppError('INTERNAL_ERROR');
    if (!isAppError(error)) request.log.error({ err: error }, 'websocket message failed');
    send({ type: 'error', code: failure.code, message: failure.message, ...ref });
  };

  // A ping frame every heartbeat; a socket that has not answered the previous one is dead.
  let alive = true;
  socket.on('pong', () => {
    alive = true;
  });
  const heartbeat =
    options.heartbeatMs > 0
      ? setInterval(() => {
          if (!alive) {
            socket.terminate();
            return;
          }
          alive = false;
          socket.ping();
        }, options.heartbeatMs)
      : null;
  heartbeat?.unref();

  socket.on('close', () => {
    if (heartbeat) clearInterval(heartbeat);
    for (const reader of readers) reader.abort();
    for (const turn of turns) {
      if (turn.background || turn.ended) continue;
      cancelWhenUnwatched(
        services.turnEvents,
        {
          tenantId: turn.tenantId,
          turnId: turn.turnId,
          cancel: () => turn.abort.abort(new AppError('TURN_CANCELLED', 'The client went away')),
          ended: () => turn.ended,
        },
        options.disconnectGraceMs,
      );
    }
  });

  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      send({ type: 'error', code: 'VALIDATION_FAILED', message: 'Messages must be JSON text, not binary' });
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      send({ type: 'error', code: 'MALFORMED_JSON', message: 'The message is not valid JSON' });
      return;
    }
    const parsed = parse.safeParse(raw);
    if (!parsed.success) {
      const ref = clientRefOf(raw);
      send({ type: 'error', code: 'VALIDATION_FAILED', message: describeIssues(parsed.error), ...refOf(ref) });
      return;
    }
    const message = parsed.data;
    const ref = refOf(message.client_ref);
    handle(message, ref).catch((error: unknown) => fail(error, ref));
  });

  // Each message re-resolves the tenant from the upgrade request's credential: a suspension or a
  // config change made while the socket is open applies to its next turn.
  // Every message but ping counts as a request against requests per minute, as it would over HTTP.
  const access = async () => {
    const current = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
    const principal = request.principal;
    if (principal.kind === 'tenant') {
      await services.admission.countRequest({ tenantId: current.tenantId, keyId: principal.keyId }, current.limits);
    }
    return current;
  };

  async function handle(message: ClientMessage, ref: { client_ref?: string }): Promise<void> {
    switch (message.type) {
      case 'ping':
        send({ type: 'pong', ...ref });
        return;
      case 'turn.cancel': {
        const { tenantId } = await access();
        if (!(await services.turns.cancel(tenantId, message.turn_id))) throw new AppError('TURN_NOT_FOUND');
        send({ type: 'cancelling', turn_id: message.turn_id, ...ref });
        return;
      }
      case 'turn.resume':
        await resume(await access(), message.turn_id, message.after, ref);
        return;
      case 'turn.start': {
        const current = await access();
        started += 1;
        await startTurn(current, message, `${request.id}.${started}`, ref);
        return;
      }
    }
  }

  async function startTurn(
    current: TenantAccess,
    message: Extract<ClientMessage, { type: 'turn.start' }>,
    requestId: string,
    ref: { client_ref?: string },
  ) {
    const turn: SocketTurn = {
      tenantId: current.tenantId,
      abort: new AbortController(),
      background: message.background ?? false,
      turnId: null,
      ended: false,
    };
    turns.add(turn);
    const run = services.runTurn({
      tenantId: current.tenantId,
      sessionId: message.session_id,
      text: message.content,
      language: message.language ?? null,
      requestId,
      config: current.config,
      actor: current.actor,
      limits: current.limits,
      // A background turn is tied to nothing: closing the socket leaves it running.
      ...(turn.background ? {} : { signal: turn.abort.signal }),
      onEvent(event) {
        turn.turnId = event.turnId;
        send({ type: event.type, ...turnEventJson(event), ...ref });
      },
    });
    // Shutdown waits for socket turns too: their socket is not a request the server drains.
    services.backgroundTurns.track(run);
    try {
      await run;
    } catch (error) {
      // After turn-start the failure went out as the turn's own `error` event.
      if (turn.turnId === null) throw error;
      if (!isAppError(error)) request.log.error({ err: error }, 'websocket turn failed');
    } finally {
      turn.ended = true;
      turns.delete(turn);
    }
  }

  async function resume(current: TenantAccess, turnId: string, after: number, ref: { client_ref?: string }) {
    const reader = new AbortController();
    readers.add(reader);
    try {
      const events = await openTurnEvents(services, current.tenantId, turnId, after, reader.signal);
      for await (const event of events) send({ type: event.type, ...turnEventJson(event), ...ref });
    } finally {
      readers.delete(reader);
    }
  }
}

function refOf(clientRef: string | undefined): { client_ref?: string } {
  return clientRef === undefined ? {} : { client_ref: clientRef };
}
