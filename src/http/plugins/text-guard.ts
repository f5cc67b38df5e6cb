import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { findUnsafeText } from '../schemas/safe-text.ts';

/**
 * Refuses, before any route validates or stores it, a request whose path parameters, query or body
 * holds a NUL character or an unpaired surrogate anywhere (values and keys, however deep, including
 * free-form objects such as a tenant config). One check for every route, so a new text field cannot
 * forget it, and both databases give the same 422 instead of a 500 or a silently changed text.
 */
export function registerTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const found =
      findUnsafeText(request.params, 'params') ??
      findUnsafeText(request.query, 'query') ??
      findUnsafeText(request.body, 'body');
    if (!found) {
      done();
      return;
    }
    const error = new AppError('VALIDATION_FAILED', `${found.path}: ${found.message}`, {
      details: { errors: [found] },
    });
    done(error);
  });
}
