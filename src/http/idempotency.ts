import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TurnResult } from '../core/agents/run-agent.ts';
import { storedTurnResult } from '../core/agents/stored-turn-result.ts';
import type { Principal } from '../core/auth/principal.ts';
import { AppError, isAppError } from '../core/errors.ts';
import type { Storage } from '../core/ports.ts';
import {
  IDEMPOTENCY_KEY_PATTERN,
  type Idempotency,
  type IdempotencyClaim,
  requestFingerprint,
  type StoredResponse,
} from '../core/turns/idempotency.ts';
import { tenantIdFor } from './access.ts';
import type { AppServices } from './app-services.ts';
import { toProblem } from './plugins/error-handler.ts';
import { toTurnJson } from './schemas/turn.ts';

/** A turn-creating route that honours `Idempotency-Key`. */
export interface IdempotentRoute {
  method: 'POST';
  /** The route pattern, as registered (`/v1/sessions/:id/messages`). */
  url: string;
  /** The tenant the request names (body, header), checked against the credential like the route does. */
  named(request: FastifyRequest): string | undefined;
  /** Whether a completed turn may be replayed as SSE to a retry that asks for `text/event-stream`. */
  sse: boolean;
  /**
   * The 200 body the route answers for a turn: what a retry gets when the first request's turn
   * committed but its process died before the response was stored.
   */
  render(tenantId: string, result: TurnResult): unknown;
}

/**
 * Failures stored and replayed like a success: final answers about a turn that ran (its user
 * message is stored). Every other failure releases the key, so a retry with it runs the turn: the
 * retryable ones (provider 5xx, timeouts, rate limits, an open circuit, our own 5xx), and the
 * refusals that ran nothing (limits, a busy or unknown session, validation).
 */
export const STORED_FAILURES: ReadonlySet<string> = new Set(['PROVIDER_REJECTED', 'TURN_CANCELLED']);

/** The claim of each request in flight that holds one, settled (once) by its response. */
const settlers = new WeakMap<FastifyRequest, (outcome: Settlement) => Promise<void>>();

/** The claim each request in flight holds, which its turn commits under. */
const claims = new WeakMap<FastifyRequest, IdempotencyClaim>();

type Settlement = { kind: 'store'; failed: boolean; response: StoredResponse } | { kind: 'release' };

/** Who sends the request, as the fingerprint sees it: another credential never matches a key. */
function callerOf(principal: Principal): string {
  if (principal.kind === 'tenant') return principal.keyId ? `key:${principal.keyId}` : `jwt:${principal.userId ?? ''}`;
  if (principal.kind === 'admin') return `admin:${principal.keyId}`;
  return 'open';
}

function keyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw new AppError('VALIDATION_FAILED', 'headers.idempotency-key: must be 1 to 255 printable ASCII characters');
  }
  return header;
}

const wantsSse = (request: FastifyRequest) => request.headers.accept?.includes('text/event-stream') ?? false;

/** Answers a retry with the stored response: the same status and body, marked `Idempotent-Replayed`. */
function replay(request: FastifyRequest, reply: FastifyReply, route: IdempotentRoute, stored: StoredResponse) {
  const body = stored.body as Record<string, unknown>;
  if (route.sse && stored.status === 200 && wantsSse(request)) {
    // A condensed stream: the stored turn's start and end (its reply whole), as the live stream ends.
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-request-id': request.id,
      'idempotent-replayed': 'true',
    });
    const { session_id } = body.user_message as { session_id: unknown };
    const start = { seq: 1, turn_id: body.turn_id, session_id, user_message: body.user_message };
    const end = {
      seq: 2,
      turn_id: body.turn_id,
      messages: body.messages,
      usage: body.usage,
      latency_ms: body.latency_ms,
    };
    reply.raw.end(
      `id: 1\nevent: turn-start\ndata: ${JSON.stringify(start)}\n\nid: 2\nevent: turn-end\ndata: ${JSON.stringify(end)}\n\n`,
    );
    return reply;
  }
  return reply
    .code(stored.status)
    .header('idempotent-replayed', 'true')
    .type(stored.status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8')
    .send(JSON.stringify(stored.body));
}

/** The settlement of a response the route sent normally (JSON, or a problem before a stream began). */
function settlementOf(status: number, payload: unknown): Settlement {
  let body: unknown;
  try {
    body = typeof payload === 'string' ? JSON.parse(payload) : null;
  } catch {
    body = null;
  }
  if (body === null || typeof body !== 'object') return { kind: 'release' };
  const fields = body as { turn_id?: unknown; code?: unknown };
  const turnId = typeof fields.turn_id === 'string' ? fields.turn_id : null;
  if (status < 400) return { kind: 'store', failed: false, response: { status, body, turnId } };
  if (typeof fields.code === 'string' && STORED_FAILURES.has(fields.code)) {
    return { kind: 'store', failed: true, response: { status, body, turnId } };
  }
  return { kind: 'release' };
}

/**
 * `Idempotency-Key` on turn-creating routes. Before the handler (after validation and
 * authentication) the key is claimed for the request's tenant, or the stored response of the first
 * request with it is replayed (waiting while that one still runs). The response the handler sends
 * settles the claim: stored, or released for a retry to run the turn. A streamed turn settles it
 * through `settleStreamedTurn`, since its response is not sent through Fastify.
 */
export function registerIdempotency(
  app: FastifyInstance,
  options: {
    idempotency: Idempotency;
    routes: readonly IdempotentRoute[];
    /** Where a committed turn is read back from, for a retry whose first request died before answering. */
    storage: Pick<Storage, 'getTurn'>;
    onError(error: unknown): void;
  },
): void {
  const { idempotency } = options;
  const routes = new Map(options.routes.map((route) => [`${route.method} ${route.url}`, route]));

  // Callback hooks, not async ones: a request without a key (most, and every route but the turn
  // routes) passes both without a promise.
  app.addHook('preHandler', (request, reply, done) => {
    const route = routes.get(`${request.method} ${request.routeOptions.url}`);
    let key: string | undefined;
    try {
      key = route && keyOf(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (!route || key === undefined) {
      done();
      return;
    }
    // A replay answers from here (the hook chain stops: `done` is not called).
    claimKey(request, reply, route, key).then((replied) => {
      if (!replied) done();
    }, done);
  });

  /** Claims `key` for this request, or answers with what it stored; true when it answered. */
  async function claimKey(
    request: FastifyRequest,
    reply: FastifyReply,
    route: IdempotentRoute,
    key: string,
  ): Promise<boolean> {
    const tenantId = tenantIdFor(request, { scope: 'chat', named: route.named(request) });
    const principal = request.principal;
    const fingerprint = requestFingerprint({
      method: request.method,
      route: route.url,
      params: request.params,
      body: request.body,
      caller: callerOf(principal),
    });
    // A retry whose client goes away stops waiting.
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) gone.abort(new AppError('IDEMPOTENCY_IN_PROGRESS', 'The client went away'));
    };
    reply.raw.once('close', onClose);
    const userId = principal.kind === 'tenant' ? principal.userId : null;
    let begun: Awaited<ReturnType<Idempotency['begin']>>;
    try {
      begun = await idempotency.begin(tenantId, { key, fingerprint, userId }, gone.signal);
    } finally {
      reply.raw.removeListener('close', onClose);
    }
    if (begun.kind === 'replay') {
      replay(request, reply, route, begun.response);
      return true;
    }
    if (begun.kind === 'committed') {
      const result = storedTurnResult(await options.storage.getTurn(tenantId, begun.turnId));
      // The row and the turn commit together and are erased together: a turn gone is an erased one.
      if (!result) throw new AppError('TURN_NOT_FOUND');
      replay(request, reply, route, { status: 200, body: route.render(tenantId, result), turnId: begun.turnId });
      return true;
    }
    const { claim } = begun;
    claims.set(request, claim);
    settlers.set(request, async (settlement) => {
      if (settlers.get(request) === undefined) return;
      settlers.delete(request);
      try {
        if (settlement.kind === 'store') {
          await idempotency.complete(claim, {
            status: settlement.failed ? 'failed' : 'completed',
            response: settlement.response,
          });
        } else {
          await idempotency.release(claim);
        }
      } catch (error) {
        // The response still goes out; the key stays in progress until it expires.
        options.onError(error);
      }
    });
    return false;
  }

  app.addHook('onSend', (request, reply, payload, done) => {
    const settle = settlers.get(request);
    if (!settle) {
      done(null, payload);
      return;
    }
    settle(settlementOf(reply.statusCode, payload)).then(() => done(null, payload), done);
  });
}

/**
 * The services a streamed turn runs with: the same, except that the turn's outcome settles the
 * request's claim (if it holds one) before the stream ends. The result is stored for replay; a
 * failure is stored when final (STORED_FAILURES), released otherwise, and released when the client
 * went away, since its retry is how it learns an outcome it never saw.
 */
export function settlingTurns(
  services: AppServices,
  request: FastifyRequest,
  reply: FastifyReply,
  /** The 200 body a replay answers with (the route's JSON for the turn); Enclave's turn JSON by default. */
  render: (result: TurnResult) => unknown = toTurnJson,
): AppServices {
  const settle = settlers.get(request);
  if (!settle) return services;
  const claimed = claimingTurns(services, request);
  return {
    ...services,
    async runTurn(turn) {
      let result: TurnResult;
      try {
        result = await claimed.runTurn(turn);
      } catch (error) {
        const clientGone = !reply.raw.writableEnded && (reply.raw.destroyed || request.raw.socket.destroyed);
        await settle(
          !isAppError(error) || !STORED_FAILURES.has(error.code) || clientGone
            ? { kind: 'release' }
            : {
                kind: 'store',
                failed: true,
                response: { status: error.status, body: toProblem(error, request.id), turnId: null },
              },
        );
        throw error;
      }
      await settle({
        kind: 'store',
        failed: false,
        response: { status: 200, body: render(result), turnId: result.turnId },
      });
      return result;
    },
  };
}

/**
 * The services a turn answered in one response runs with: the same, except that the turn commits
 * under the request's claim (if it holds one), so its key is marked completed in the turn's own
 * transaction. A background turn is not: its 202 is the response, stored as soon as it is sent.
 */
export function claimingTurns(services: AppServices, request: FastifyRequest): AppServices {
  const claim = claims.get(request);
  if (!claim) return services;
  return {
    ...services,
    runTurn: (turn) => services.runTurn({ ...turn, idempotency: { key: claim.key, token: claim.token } }),
  };
}
