import { z } from 'zod';
import { DEFAULT_AGENT_ID } from '../../core/agent-catalog/agent.ts';
import { USER_ID_PATTERN } from '../../core/auth/user-id.ts';
import type { Session } from '../../core/conversations/session.ts';
import { agentIdSchema } from './agent.ts';

export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a session id');

export const sessionSchema = z
  .object({
    id: z.string(),
    object: z.literal('session'),
    title: z.string().nullable(),
    user_id: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    agent_id: z.string().describe('The agent that runs its next turn (`default`: the default agent)'),
    message_count: z.number().int(),
    forked_from: z
      .object({ session_id: z.string(), turn_id: z.string() })
      .nullable()
      .describe(
        'The session and turn this session was forked from (a Responses API branch from an older response); null otherwise',
      ),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Session' });

export const createSessionBodySchema = z
  .object({
    title: z.string().max(200).optional(),
    user_id: z.string().regex(USER_ID_PATTERN, 'must be a user id').optional(),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((value) => Object.keys(value).length <= 32, 'at most 32 keys')
      .optional(),
    agent_id: agentIdSchema.optional().describe('The agent that runs its turns; absent is the default agent'),
  })
  .strict();

export function toSessionJson(session: Session): z.infer<typeof sessionSchema> {
  return {
    id: session.id,
    object: 'session',
    title: session.title,
    user_id: session.userId,
    metadata: session.metadata,
    agent_id: session.agentId ?? DEFAULT_AGENT_ID,
    message_count: session.messageCount,
    forked_from: session.forkedFrom
      ? { session_id: session.forkedFrom.sessionId, turn_id: session.forkedFrom.turnId }
      : null,
    created_at: session.createdAt,
    updated_at: session.updatedAt,
  };
}
