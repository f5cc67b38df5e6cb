import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppServices } from '../../app-services.ts';
import type { StreamSettings } from '../../sse/stream-turn.ts';
import { chatCompletionRoutes } from './chat-completions.ts';
import { conversationRoutes } from './conversations.ts';
import { modelRoutes } from './models.ts';
import { registerOpenAiErrors } from './openai-error.ts';
import { responseRoutes } from './responses.ts';

/**
 * The OpenAI-compatible routes, in one encapsulated plugin whose errors answer in OpenAI's shape
 * (the SDKs parse it) instead of problem+json; statuses, headers and codes stay Enclave's.
 */
export function openAiRoutes(services: AppServices, streams: StreamSettings): FastifyPluginAsyncZod {
  return async (app) => {
    registerOpenAiErrors(app, { onRejected: (code) => services.metrics.rejected(code) });
    await app.register(chatCompletionRoutes(services));
    await app.register(modelRoutes(services));
    await app.register(responseRoutes(services, streams));
    await app.register(conversationRoutes(services));
  };
}
