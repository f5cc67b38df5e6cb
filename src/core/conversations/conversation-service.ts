import { DEFAULT_AGENT_ID } from '../agent-catalog/agent.ts';
import { AppError } from '../errors.ts';
import type { Ids } from '../ids.ts';
import type { Interaction, Storage } from '../ports.ts';
import type { TurnEventLog } from '../turns/turn-event-log.ts';
import { decodeIdCursor, decodeSeqCursor, encodeCursor } from './cursor.ts';
import type { Message } from './message.ts';
import { type Page, toPage } from './page.ts';
import type { Session } from './session.ts';

export interface ConversationService {
  createSession(
    tenantId: string,
    input: {
      title?: string | undefined;
      userId?: string | undefined;
      metadata?: Record<string, string> | undefined;
      /** The agent that runs its turns; absent or `default` is the default agent (AGENT_NOT_FOUND for another tenant's). */
      agentId?: string | undefined;
    },
    options: { createTenant: boolean },
  ): Promise<Session>;
  /** Hands the session to another agent: its next turn runs that agent, with the history kept. */
  setSessionAgent(tenantId: string, sessionId: string, agentId: string): Promise<Session>;
  getSession(tenantId: string, sessionId: string): Promise<Session>;
  listSessions(tenantId: string, options: { limit: number; cursor?: string | undefined }): Promise<Page<Session>>;
  /** Deletes the session with its messages, and purges its turns' event logs. */
  deleteSession(tenantId: string, sessionId: string): Promise<void>;
  listMessages(
    tenantId: string,
    sessionId: string,
    options: { limit: number; cursor?: string | undefined; order: 'asc' | 'desc' },
  ): Promise<Page<Message>>;
  /** The newest `limit` completed interactions of a session, returned in arrival order. */
  interactionHistory(
    tenantId: string,
    sessionId: string,
    options: { limit: number; before?: string | undefined },
  ): Promise<Page<Interaction>>;
}

/**
 * Session and history reads and writes. Callers have already authorised `tenantId`. `events` is
 * where streamed turns keep their events; callers that never delete a session (the CLI's reads)
 * may leave it out.
 */
export function createConversationService({
  storage,
  ids,
  events,
}: {
  storage: Storage;
  ids: Ids;
  events?: Pick<TurnEventLog, 'purge'>;
}): ConversationService {
  return {
    async createSession(tenantId, input, options) {
      return storage.createSession(
        tenantId,
        {
          id: ids.next('ses'),
          title: input.title ?? null,
          userId: input.userId ?? null,
          metadata: input.metadata ?? {},
          agentId: storedAgentId(input.agentId),
        },
        options,
      );
    },

    async setSessionAgent(tenantId, sessionId, agentId) {
      if (!(await storage.setSessionAgent(tenantId, sessionId, storedAgentId(agentId)))) {
        throw new AppError('SESSION_NOT_FOUND');
      }
      return this.getSession(tenantId, sessionId);
    },

    async getSession(tenantId, sessionId) {
      const session = await storage.getSession(tenantId, sessionId);
      if (!session) throw new AppError('SESSION_NOT_FOUND');
      return session;
    },

    async listSessions(tenantId, { limit, cursor }) {
      const beforeId = cursor === undefined ? null : decodeIdCursor(cursor);
      const sessions = await storage.listSessions(tenantId, { limit: limit + 1, beforeId });
      return toPage(sessions, limit, (session) => encodeCursor(session.id));
    },

    async deleteSession(tenantId, sessionId) {
      const deleted = await storage.deleteSession(tenantId, sessionId);
      if (!deleted) throw new AppError('SESSION_NOT_FOUND');
      // After the rows: a resume of these turns already answers 404 from storage; this drops their content.
      await events?.purge(tenantId, deleted.turnIds);
    },

    async listMessages(tenantId, sessionId, { limit, cursor, order }) {
      const cursorSeq = cursor === undefined ? null : decodeSeqCursor(cursor);
      const messages = await storage.listMessages(tenantId, sessionId, { limit: limit + 1, cursorSeq, order });
      if (messages.length === 0 && !(await storage.getSession(tenantId, sessionId))) {
        throw new AppError('SESSION_NOT_FOUND');
      }
      return toPage(messages, limit, (message) => encodeCursor(message.seq));
    },

    async interactionHistory(tenantId, sessionId, { limit, before }) {
      const beforeSeq = before === undefined ? null : decodeSeqCursor(before);
      const newestFirst = await storage.listInteractions(tenantId, sessionId, { limit: limit + 1, beforeSeq });
      const page = toPage(newestFirst, limit, (interaction) => encodeCursor(interaction.seq));
      page.data.reverse();
      return page;
    },
  };
}

/** Sessions of the default agent store no agent id, as every session stored before agents. */
function storedAgentId(agentId: string | undefined): string | null {
  return agentId === undefined || agentId === DEFAULT_AGENT_ID ? null : agentId;
}
