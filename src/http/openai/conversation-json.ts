import { z } from 'zod';
import type { Session } from '../../core/conversations/session.ts';

/** A conversation as OpenAI shows it: the session with the same id. */
export const conversationSchema = z
  .object({
    id: z.string(),
    object: z.literal('conversation'),
    created_at: z.number().int(),
    metadata: z.record(z.string(), z.string()),
  })
  .meta({ id: 'Conversation' });

export function toConversationJson(session: Session): z.infer<typeof conversationSchema> {
  return {
    id: session.id,
    object: 'conversation',
    created_at: Math.floor(Date.parse(session.createdAt) / 1000),
    metadata: session.metadata,
  };
}

/** OpenAI's metadata: at most 16 pairs, keys up to 64 characters, values up to 512. */
export const metadataSchema = z
  .record(z.string().max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, 'at most 16 keys');

/** A conversation or response id in a path or body (sessions are `ses_…`, responses `resp_…`). */
export const openAiIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id');
