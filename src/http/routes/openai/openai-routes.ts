import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppServices } from '../../app-services.ts';
import { chatCompletionRoutes } from './chat-completions.ts';
import { modelRoutes } from './models.ts';
import { registerOpenAiErrors } from './openai-error.ts';

/**
 * The OpenAI-compatible routes, in one encapsulated plugin whose errors answer in OpenAI's shape
 * (the SDKs parse it) instead of problem+json; statuses, headers and codes stay Enclave's.
 */
export function openAiRoutes(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    registerOpenAiErrors(app, { onRejected: (code) => services.metrics.rejected(code) });
    await app.register(chatCompletionRoutes(services));
    await app.register(modelRoutes(services));
  };
}
