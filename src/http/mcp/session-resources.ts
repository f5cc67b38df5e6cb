import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
} from '@modelcontextprotocol/server';
import type { Session } from '../../core/conversations/session.ts';
import { isAppError } from '../../core/errors.ts';
import type { AppServices } from '../app-services.ts';
import { toMessageJson } from '../schemas/message.ts';
import { sessionIdSchema, toSessionJson } from '../schemas/session.ts';
import type { McpCaller } from './agent-turn.ts';

/** The URI scheme of a session resource: `enclave://sessions/{session_id}`. */
export const SESSION_URI_TEMPLATE = 'enclave://sessions/{session_id}';
/** Sessions per `resources/list` page (newest first; `nextCursor` for the next page). */
export const SESSIONS_PER_PAGE = 50;
/** Messages a session read returns: the latest ones, oldest first. */
export const MESSAGES_PER_READ = 200;

const MIME = 'application/json';

export const sessionUri = (sessionId: string) => `enclave://sessions/${sessionId}`;

function describe(session: Session) {
  const json = toSessionJson(session);
  return {
    uri: sessionUri(session.id),
    name: session.id,
    title: session.title ?? `Session ${session.id}`,
    description: `Conversation with the agent "${json.agent_id}", ${session.messageCount} messages, updated ${session.updatedAt}`,
    mimeType: MIME,
  };
}

/**
 * The caller's tenant's sessions as resources: listed newest first with cursor pagination, and
 * each read as JSON (the session and its latest messages). A session of another tenant, a
 * malformed id and a missing one all answer the same resource-not-found error.
 */
export function registerSessionResources(server: McpServer, services: AppServices, caller: McpCaller): void {
  const tenantId = caller.access.tenantId;
  server.registerResource(
    'session',
    new ResourceTemplate(SESSION_URI_TEMPLATE, { list: undefined }),
    {
      title: 'Enclave session',
      description: `A conversation with one of your agents: the session and its latest ${MESSAGES_PER_READ} messages, as JSON`,
      mimeType: MIME,
    },
    async (uri, variables) => {
      const parsed = sessionIdSchema.safeParse(variables.session_id);
      if (!parsed.success) throw new ResourceNotFoundError(uri.href);
      try {
        const session = await services.conversations.getSession(tenantId, parsed.data);
        const page = await services.conversations.listMessages(tenantId, session.id, {
          limit: MESSAGES_PER_READ,
          cursor: undefined,
          order: 'desc',
        });
        const body = {
          session: toSessionJson(session),
          messages: page.data.reverse().map(toMessageJson),
          has_earlier_messages: page.hasMore,
        };
        return { contents: [{ uri: uri.href, mimeType: MIME, text: JSON.stringify(body) }] };
      } catch (error) {
        if (isAppError(error) && error.code === 'SESSION_NOT_FOUND') throw new ResourceNotFoundError(uri.href);
        throw error;
      }
    },
  );
  // The SDK's own list handler takes no cursor; this one pages through the tenant's sessions.
  server.server.setRequestHandler('resources/list', async (request) => {
    const cursor = request.params?.cursor;
    try {
      const page = await services.conversations.listSessions(tenantId, {
        limit: SESSIONS_PER_PAGE,
        cursor: cursor === undefined ? undefined : cursor,
      });
      return {
        resources: page.data.map(describe),
        ...(page.nextCursor === null ? {} : { nextCursor: page.nextCursor }),
      };
    } catch (error) {
      if (isAppError(error) && error.code === 'INVALID_CURSOR') {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidParams,
          'INVALID_CURSOR: the cursor is not one this server gave',
        );
      }
      throw error;
    }
  });
}
