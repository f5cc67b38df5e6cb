import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppError } from '../../../core/errors.ts';
import { prepareErrorReply } from '../../plugins/error-handler.ts';
import type { Problem } from '../../schemas/problem.ts';

/** OpenAI's error body: what the SDKs parse into their error classes (`APIError.code`, `.param`, `.type`). */
export const openAiErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: 'OpenAIError' });

export type OpenAiError = z.infer<typeof openAiErrorSchema>;

/** The `type` OpenAI gives an error of this status. */
function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * An Enclave error in OpenAI's shape: the same status, `code` the stable Enclave code in lower case
 * (`model_not_found`, `unauthenticated`, `rate_limited`…), `param` the failing field when known.
 */
export function toOpenAiError(error: AppError, errors?: Problem['errors']): OpenAiError {
  const details = error.details as { param?: unknown } | undefined;
  const param = typeof details?.param === 'string' ? details.param : (errors?.[0]?.path.replace(/^body\./, '') ?? null);
  return { error: { message: error.message, type: typeOf(error.status), param, code: error.code.toLowerCase() } };
}

/** Error responses for OpenAPI: OpenAI's shape for each status. */
export function openAiErrors(...statuses: number[]): Record<number, typeof openAiErrorSchema> {
  return Object.fromEntries(statuses.map((status) => [status, openAiErrorSchema]));
}

/**
 * Answers every error of the routes in `app` (one encapsulated plugin: the OpenAI-compatible ones)
 * in OpenAI's shape, with the same statuses, headers and logging as problem+json elsewhere.
 */
export function registerOpenAiErrors(app: FastifyInstance, options: { onRejected(code: string): void }): void {
  app.setErrorHandler((raw: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const { error, errors } = prepareErrorReply(raw, request, reply, options);
    return reply.code(error.status).type('application/json; charset=utf-8').send(toOpenAiError(error, errors));
  });
}
