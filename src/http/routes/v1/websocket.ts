import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AppError, isAppError } from '../../../core/errors.ts';
import { cancelWhenUnwatched } from '../../../core/turns/cancel-when-unwatched.ts';
import { type TenantAccess, tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { openTurnEvents } from '../../open-turn-events.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { sessionAgent } from '../../session-agent.ts';
import type { StreamSettings } from '../../sse/stream-turn.ts';
import { turnEventJson, turnEventName } from '../../sse/turn-event-json.ts';
import { type ClientMessage, clientMessageSchema, clientRefOf, describeIssues } from './websocket-messages.ts';

export interface WebSocketOptions extends StreamSettings {
  messageMaxChars: number;
  /** Most turns and resumes one socket follows at once (`WS_MAX_SUBSCRIPTIONS`). */
  maxSubscriptions: number;
  /** Bytes waiting to be sent above which resumes pause and other sends close the socket (`WS_MAX_BUFFERED_BYTES`). */
  maxBufferedBytes: number;
}

/** The close code for a client that does not read what it is sent (docs/api.md#websocket). */
export const CLOSE_TOO_SLOW = 4008;
/** The close code once the upgrade's credential no longer authenticates: revoked, expired, its tenant deleted. */
export const CLOSE_UNAUTHENTICATED = 4001;
/** The close code once the credential no longer grants the socket's access: the tenant was suspended. */
export const CLOSE_FORBIDDEN = 4003;
/** Which failures of the per-message credential check close the socket, and with which code. */
const CREDENTIAL_CLOSE_CODES: Readonly<Record<string, number>> = {
  UNAUTHENTICATED: CLOSE_UNAUTHENTICATED,
  TENANT_SUSPENDED: CLOSE_FORBIDDEN,
};
/** How long a socket closed for being too slow may take to read the rest and the close frame. */
const TOO_SLOW_CLOSE_TIMEOUT_MS = 5_000;
/** How often a paused resume looks whether the client has read enough. */
const DRAIN_POLL_MS = 20;

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
  let subscriptions = 0;
  let closeTimer: ReturnType<typeof setTimeout> | null = null;
  /**
   * A live turn's events and replies cannot wait: sent while more than the bound is still queued
   * (the client stopped reading), the socket is closed instead, so its memory stays bounded. Its
   * turns are then treated as abandoned, like any closed socket's: the client may resume them.
   */
  const send: Send = (message) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > options.maxBufferedBytes) {
      request.log.warn({ buffered_bytes: socket.bufferedAmount }, 'websocket client reads too slowly: closing');
      socket.close(CLOSE_TOO_SLOW, 'TOO_SLOW: the client does not read what it is sent');
      // A client that reads nothing never answers the close frame either.
      closeTimer = setTimeout(() => socket.terminate(), TOO_SLOW_CLOSE_TIMEOUT_MS);
      closeTimer.unref();
      return;
    }
    socket.send(JSON.stringify(message));
  };
  /** Resolves once at most the bound waits to be sent (or the socket or the reader is done). */
  const drained = async (signal: AbortSignal) => {
    while (socket.readyState === socket.OPEN && !signal.aborted && socket.bufferedAmount > options.maxBufferedBytes) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  };
  /** Takes one of the socket's subscriptions (a turn or a resume it follows); the returned function gives it back. */
  const subscribe = () => {
    if (subscriptions >= options.maxSubscriptions) {
      throw new AppError(
        'TOO_MANY_SUBSCRIPTIONS',
        `This socket already follows ${options.maxSubscriptions} turns (WS_MAX_SUBSCRIPTIONS); send again once one has ended`,
      );
    }
    subscriptions += 1;
    return () => {
      subscriptions -= 1;
    };
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
    if (closeTimer) clearTimeout(closeTimer);
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

  // Every message, ping included, checks the upgrade request's credential again, with the cache
  // rules HTTP uses: a key revoked or expired, a JWT expired, a tenant suspended or deleted since the
  // upgrade closes the socket (4001 or 4003) instead of acting for a credential that is gone. The
  // tenant's config is read again too, so a change applies to the socket's next turn.
  const verify = async () => {
    try {
      // While auth is disabled a socket opened without a credential has none to check.
      if (request.principal.kind !== 'open') {
        request.principal = await services.resolvePrincipal(request.headers.authorization);
      }
      return await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
    } catch (error) {
      const closeCode = isAppError(error) ? CREDENTIAL_CLOSE_CODES[error.code] : undefined;
      if (closeCode !== undefined && isAppError(error) && socket.readyState === socket.OPEN) {
        request.log.info({ code: error.code, close_code: closeCode }, 'websocket credential no longer valid: closing');
        // The reason is the code and a short text (a close reason holds at most 123 bytes).
        socket.close(closeCode, `${error.code}: the socket's credential no longer grants access`);
      }
      throw error;
    }
  };
  // Every message but ping counts as a request against requests per minute, as it would over HTTP.
  const access = async () => {
    const current = await verify();
    const principal = request.principal;
    if (principal.kind === 'tenant') {
      await services.admission.countRequest({ tenantId: current.tenantId, keyId: principal.keyId }, current.limits);
    }
    return current;
  };

  async function handle(message: ClientMessage, ref: { client_ref?: string }): Promise<void> {
    switch (message.type) {
      case 'ping':
        await verify();
        send({ type: 'pong', ...ref });
        return;
      case 'turn.cancel': {
        const { tenantId } = await access();
        if (!(await services.turns.cancel(tenantId, message.turn_id))) throw new AppError('TURN_NOT_FOUND');
        send({ type: 'cancelling', turn_id: message.turn_id, ...ref });
        return;
      }
      case 'turn.resume': {
        // Taken before anything is awaited, so messages that arrive together cannot all pass.
        const release = subscribe();
        try {
          await resume(await access(), message.turn_id, message.after, ref);
        } finally {
          release();
        }
        return;
      }
      case 'turn.start': {
        const release = subscribe();
        try {
          const current = await access();
          started += 1;
          await startTurn(current, message, `${request.id}.${started}`, ref);
        } finally {
          release();
        }
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
    // Registered before anything is awaited, so a socket that closes meanwhile cancels this turn too.
    turns.add(turn);
    try {
      const agent = await sessionAgent(services, current, message.session_id);
      const run = services.runTurn({
        tenantId: current.tenantId,
        sessionId: message.session_id,
        text: message.content,
        language: message.language ?? null,
        requestId,
        config: agent.config,
        agentId: agent.agentId,
        actor: current.actor,
        limits: agent.limits,
        // A background turn is tied to nothing: closing the socket leaves it running.
        ...(turn.background ? {} : { signal: turn.abort.signal }),
        onEvent(event) {
          turn.turnId = event.turnId;
          send({ type: turnEventName(event, options.legacyErrorEvent), ...turnEventJson(event), ...ref });
        },
      });
      // Shutdown waits for socket turns too: their socket is not a request the server drains.
      services.backgroundTurns.track(run);
      await run;
    } catch (error) {
      // After turn-start the failure went out as the turn's own `turn-error` event.
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
      for await (const event of events) {
        // A replay can wait for a slow client: its events stay in the log meanwhile.
        await drained(reader.signal);
        send({ type: turnEventName(event, options.legacyErrorEvent), ...turnEventJson(event), ...ref });
      }
    } finally {
      readers.delete(reader);
    }
  }
}

function refOf(clientRef: string | undefined): { client_ref?: string } {
  return clientRef === undefined ? {} : { client_ref: clientRef };
}
