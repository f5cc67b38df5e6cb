import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, ERROR_CODES, type ErrorCode, isAppError } from '../../core/errors.ts';
import type { Problem } from '../schemas/problem.ts';
import { recordAllowedMethods } from './allowed-methods.ts';

/** Fastify's own error codes that are the client's fault, and the code we answer with. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

export function problemType(code: ErrorCode): string {
  return `urn:enclave:error:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function toProblem(error: AppError, requestId: string, errors?: Problem['errors']): Problem {
  const entry = ERROR_CODES[error.code];
  return {
    type: problemType(error.code),
    title: entry.title,
    status: entry.status,
    detail: error.message,
    code: error.code,
    request_id: requestId,
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

function toAppError(error: FastifyError | Error): { error: AppError; errors?: Problem['errors'] } {
  if (isAppError(error)) {
    // Field-level failures found outside zod (the text guard) carry the same `errors` list.
    const errors = (error.details as { errors?: Problem['errors'] } | undefined)?.errors;
    return Array.isArray(errors) ? { error, errors } : { error };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((issue) => ({
      path: [error.validationContext ?? 'body', ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'is invalid',
    }));
    const summary = errors.map((entry) => `${entry.path}: ${entry.message}`).join('; ');
    return { error: new AppError('VALIDATION_FAILED', summary, { cause: error }), errors };
  }
  const code = 'code' in error && typeof error.code === 'string' ? FASTIFY_CODES[error.code] : undefined;
  if (code) return { error: new AppError(code, error.message, { cause: error }) };
  const status = 'statusCode' in error ? Number(error.statusCode) : 500;
  if (status >= 400 && status < 500)
    return { error: new AppError('VALIDATION_FAILED', error.message, { cause: error }) };
  return { error: new AppError('INTERNAL_ERROR', ERROR_CODES.INTERNAL_ERROR.title, { cause: error }) };
}

/**
 * A body whose Content-Type is missing or not JSON: 415 `CONTENT_TYPE_UNSUPPORTED`, as HTTP has it,
 * except on the original API (`/agent/…`), whose contract answers every unusable body with 422
 * `UNSUPPORTED_MEDIA_TYPE`.
 */
function withContentTypeStatus(
  mapped: { error: AppError; errors?: Problem['errors'] },
  request: FastifyRequest,
): { error: AppError; errors?: Problem['errors'] } {
  if (mapped.error.code !== 'UNSUPPORTED_MEDIA_TYPE' || request.url.startsWith('/agent/')) return mapped;
  const type = request.headers['content-type'];
  const message = type
    ? 'The request body must be application/json'
    : 'The request has a body but no Content-Type: send Content-Type: application/json';
  return { error: new AppError('CONTENT_TYPE_UNSUPPORTED', message, { cause: mapped.error.cause }) };
}

/**
 * Any error as the AppError it answers with (and the failing fields), logged once and with its
 * headers (`Retry-After`, `WWW-Authenticate`, the request id) set on the reply: the part of error
 * handling that does not depend on the body's shape (problem+json here, OpenAI's on its routes).
 */
export function prepareErrorReply(
  raw: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { onRejected(code: string): void },
): { error: AppError; errors?: Problem['errors'] } {
  const mapped = withContentTypeStatus(toAppError(raw), request);
  const { error } = mapped;
  if (error.status === 429) options.onRejected(error.code);
  // Shutting down (or a dependency away) is an expected state for probes, not a server error.
  if (error.code === 'NOT_READY') request.log.warn({ code: error.code, cause: String(raw.cause ?? '') }, error.message);
  else if (error.status >= 500) request.log.error({ err: raw, code: error.code }, 'request failed');
  else
    request.log.info(
      { code: error.code, reason: (error.details as { reason?: string } | undefined)?.reason },
      error.message,
    );
  // Errors raised by the earliest hooks come before the hook that sets it.
  reply.header('x-request-id', request.id);
  if (error.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="enclave"');
  const headers = (error.details as { headers?: Record<string, string> } | undefined)?.headers;
  if (headers) for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  return mapped;
}

/** Maps every error to problem+json. 5xx bodies never carry internals; the full error is logged. */
export function registerErrorHandler(app: FastifyInstance, options: { onRejected(code: string): void }): void {
  app.setErrorHandler((raw: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const { error, errors } = prepareErrorReply(raw, request, reply, options);
    return sendProblem(reply, toProblem(error, request.id, errors));
  });
  const allowedMethods = recordAllowedMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      const message = `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`;
      return sendProblem(reply, toProblem(new AppError('METHOD_NOT_ALLOWED', message), request.id));
    }
    return sendProblem(
      reply,
      toProblem(new AppError('ROUTE_NOT_FOUND', `No route ${request.method} ${path}`), request.id),
    );
  });
}
