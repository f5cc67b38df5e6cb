import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Problem } from '../schemas/problem.ts';

/** The routes of the OpenAI-compatible family, which answer errors in OpenAI's shape. */
const OPENAI_ROUTES = /^\/v1\/(responses|conversations|chat\/completions|models)(?:[/?]|$)/;

export function isOpenAiRoute(url: string): boolean {
  return OPENAI_ROUTES.test(url);
}

/** OpenAI's error body: the SDKs pick their error class by status and read `error.message`. */
export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string };
}

function typeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * A problem as OpenAI's error body: `code` is Enclave's stable code (docs/errors.md) in lower case, as
 * OpenAI writes its codes (`model_not_found`); `param`
 * names the first failing field without its `body.`/`query.` prefix, as OpenAI's does.
 */
export function toOpenAiError(problem: Problem, param?: string | null): OpenAiError {
  const field = param ?? problem.errors?.[0]?.path ?? null;
  return {
    error: {
      message: problem.detail,
      type: typeOf(problem.status),
      param: field === null ? null : field.replace(/^(body|query|params|headers)\.?/, '') || null,
      code: problem.code.toLowerCase(),
    },
  };
}

export function sendOpenAiError(reply: FastifyReply, problem: Problem, param?: string | null): FastifyReply {
  return reply
    .code(problem.status)
    .type('application/json')
    .header('x-request-id', problem.request_id)
    .send(toOpenAiError(problem, param));
}

export const openAiErrorSchema = z
  .object({
    error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }),
  })
  .meta({ id: 'OpenAiError' });

/** Response schemas for the given error statuses of an OpenAI-compatible route, for OpenAPI. */
export function openAiErrors(...statuses: number[]): Record<number, typeof openAiErrorSchema> {
  return Object.fromEntries(statuses.map((status) => [status, openAiErrorSchema]));
}
