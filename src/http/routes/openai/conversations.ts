import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Message } from '../../../core/conversations/message.ts';
import { AppError } from '../../../core/errors.ts';
import type { AppServices } from '../../app-services.ts';
import { openAiTenant } from '../../openai/conversation-access.ts';
import {
  type Item,
  inputItemSchema,
  itemsToMessages,
  messageIdOf,
  messageToItems,
} from '../../openai/conversation-items.ts';
import {
  conversationSchema,
  metadataSchema,
  openAiIdSchema,
  toConversationJson,
} from '../../openai/conversation-json.ts';
import { openAiErrors } from './openai-error.ts';

const itemSchema = z.looseObject({ type: z.string(), id: z.string() }).meta({ id: 'ConversationItem' });
const itemListSchema = z.object({
  object: z.literal('list'),
  data: z.array(itemSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
const headers = z.looseObject({ 'tenant-id': z.string().optional() });
const conversationParams = z.object({ id: openAiIdSchema });
const itemParams = z.object({ id: openAiIdSchema, item_id: openAiIdSchema });
const errors = openAiErrors(400, 401, 403, 404, 415, 422, 429, 503);

function itemList(items: Item[], hasMore: boolean): z.infer<typeof itemListSchema> {
  return {
    object: 'list',
    data: items,
    first_id: items[0]?.id ?? null,
    last_id: items.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}

/**
 * `/v1/conversations` (OpenAI's Conversations API) over sessions: a conversation is the session with
 * the same id, and its items are the session's messages (docs/openai-responses.md#conversations).
 */
export function conversationRoutes(services: AppServices): FastifyPluginAsyncZod {
  const { storage, conversations } = services;
  const conversationOf = async (tenantId: string, id: string) => {
    const session = await storage.getSession(tenantId, id);
    if (!session) throw new AppError('SESSION_NOT_FOUND', 'Conversation not found');
    return session;
  };
  return async (app) => {
    app.post(
      '/v1/conversations',
      {
        schema: {
          tags: ['openai'],
          summary: 'Create a conversation (a session)',
          headers,
          body: z
            .object({
              metadata: metadataSchema.nullish(),
              items: z.array(inputItemSchema).max(20).nullish(),
            })
            .strict()
            .nullish(),
          response: { 200: conversationSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId, userId } = await openAiTenant(services, request);
        const session = await conversations.createSession(
          tenantId,
          { metadata: request.body?.metadata ?? {}, ...(userId ? { userId } : {}) },
          { createTenant: request.principal.kind === 'open' },
        );
        const items = request.body?.items ?? [];
        if (items.length > 0) {
          const messages = itemsToMessages(items, { ids: { next: services.newId }, userId, param: 'items' });
          await storage.appendMessages(tenantId, session.id, messages);
        }
        return toConversationJson(session);
      },
    );

    app.get(
      '/v1/conversations/:id',
      {
        schema: {
          tags: ['openai'],
          summary: 'Get a conversation',
          headers,
          params: conversationParams,
          response: { 200: conversationSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        return toConversationJson(await conversationOf(tenantId, request.params.id));
      },
    );

    app.post(
      '/v1/conversations/:id',
      {
        schema: {
          tags: ['openai'],
          summary: "Update a conversation's metadata",
          headers,
          params: conversationParams,
          body: z.object({ metadata: metadataSchema }).strict(),
          response: { 200: conversationSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        if (!(await storage.setSessionMetadata(tenantId, request.params.id, request.body.metadata))) {
          throw new AppError('SESSION_NOT_FOUND', 'Conversation not found');
        }
        return toConversationJson(await conversationOf(tenantId, request.params.id));
      },
    );

    app.delete(
      '/v1/conversations/:id',
      {
        schema: {
          tags: ['openai'],
          summary: 'Delete a conversation (the session, its messages and responses)',
          headers,
          params: conversationParams,
          response: {
            200: z.object({ id: z.string(), object: z.literal('conversation.deleted'), deleted: z.literal(true) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        await conversations.deleteSession(tenantId, request.params.id);
        return { id: request.params.id, object: 'conversation.deleted' as const, deleted: true as const };
      },
    );

    app.get(
      '/v1/conversations/:id/items',
      {
        schema: {
          tags: ['openai'],
          summary: 'List the items of a conversation',
          description:
            'Items are the messages of the session, newest first by default (`order=asc` for oldest first); `after` is an item id from a previous page.',
          headers,
          params: conversationParams,
          querystring: z
            .object({
              limit: z.coerce.number().int().min(1).max(100).default(20),
              order: z.enum(['asc', 'desc']).default('desc'),
              after: openAiIdSchema.optional(),
              include: z.union([z.string(), z.array(z.string())]).optional(),
            })
            .strict(),
          response: { 200: itemListSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        const { limit, order, after } = request.query;
        await conversationOf(tenantId, request.params.id);
        let cursorSeq: number | null = null;
        if (after !== undefined) {
          const anchor = await storage.getSessionMessage(tenantId, request.params.id, messageIdOf(after));
          if (!anchor) throw new AppError('ITEM_NOT_FOUND', 'No item with the id in `after` in this conversation');
          // The anchor's message is read again: items after `after` within it come first.
          cursorSeq = order === 'asc' ? anchor.seq - 1 : anchor.seq + 1;
        }
        const messages = await storage.listMessages(tenantId, request.params.id, {
          limit: limit + 2,
          cursorSeq,
          order,
        });
        let items = messages.flatMap((message: Message) => {
          const expanded = messageToItems(message);
          return order === 'asc' ? expanded : expanded.reverse();
        });
        if (after !== undefined) items = items.slice(items.findIndex((item) => item.id === after) + 1);
        return itemList(items.slice(0, limit), items.length > limit || messages.length === limit + 2);
      },
    );

    app.post(
      '/v1/conversations/:id/items',
      {
        schema: {
          tags: ['openai'],
          summary: 'Add items to a conversation',
          headers,
          params: conversationParams,
          body: z.object({ items: z.array(inputItemSchema).min(1).max(20) }).strict(),
          response: { 200: itemListSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId, userId } = await openAiTenant(services, request);
        await conversationOf(tenantId, request.params.id);
        const messages = itemsToMessages(request.body.items, { ids: { next: services.newId }, userId, param: 'items' });
        const stored = await storage.appendMessages(tenantId, request.params.id, messages);
        return itemList(stored.flatMap(messageToItems), false);
      },
    );

    app.get(
      '/v1/conversations/:id/items/:item_id',
      {
        schema: {
          tags: ['openai'],
          summary: 'Get one item of a conversation',
          headers,
          params: itemParams,
          response: { 200: itemSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        const message = await storage.getSessionMessage(
          tenantId,
          request.params.id,
          messageIdOf(request.params.item_id),
        );
        const item = message ? messageToItems(message).find((entry) => entry.id === request.params.item_id) : undefined;
        if (!item) throw new AppError('ITEM_NOT_FOUND');
        return item;
      },
    );

    app.delete(
      '/v1/conversations/:id/items/:item_id',
      {
        schema: {
          tags: ['openai'],
          summary: 'Delete an item of a conversation',
          description:
            'Deletes the message the item belongs to (with its other items: a tool call and the text of the same assistant step go together), and answers the conversation.',
          headers,
          params: itemParams,
          response: { 200: conversationSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        const { id, item_id: itemId } = request.params;
        const message = await storage.getSessionMessage(tenantId, id, messageIdOf(itemId));
        if (!message || !messageToItems(message).some((entry) => entry.id === itemId)) {
          throw new AppError('ITEM_NOT_FOUND');
        }
        await storage.deleteSessionMessage(tenantId, id, message.id);
        return toConversationJson(await conversationOf(tenantId, id));
      },
    );
  };
}
