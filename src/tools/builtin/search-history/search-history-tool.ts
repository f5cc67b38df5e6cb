import { jsonSchema, tool } from 'ai';
import type { MessageSearchHit } from '../../../core/ports.ts';
import { snippetAround } from './snippet-around.ts';

/** Most results one call returns, whatever the model asks for. */
export const SEARCH_HISTORY_MAX_RESULTS = 20;
const DEFAULT_RESULTS = 5;
const MAX_QUERY_CHARS = 200;
const MAX_SESSION_ID_CHARS = 128;

/**
 * The storage search the tool runs on: the tenant's own messages only (`Storage.searchMessages`).
 * The tenant is the first argument, and the tool passes the one it was bound to.
 */
export type SearchMessages = (
  tenantId: string,
  options: { query: string; sessionId: string | null; excludeTurnId: string | null; limit: number },
) => Promise<MessageSearchHit[]>;

/** Whom a call searches for: fixed when the tool is bound for a turn, never taken from the model's input. */
export interface SearchScope {
  tenantId: string;
  /** The turn calling the tool: its own messages are left out of the results. */
  turnId: string | null;
}

interface SearchInput {
  query: string;
  session_id?: string;
  limit?: number;
}

const INPUT = jsonSchema<SearchInput>({
  type: 'object',
  properties: {
    query: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_QUERY_CHARS,
      description: 'Words to find, matched as one phrase, case-insensitively.',
    },
    session_id: {
      type: 'string',
      maxLength: MAX_SESSION_ID_CHARS,
      description: 'Search only this session of the same user or organisation (optional).',
    },
    limit: {
      type: 'integer',
      minimum: 1,
      maximum: SEARCH_HISTORY_MAX_RESULTS,
      description: `Most results, newest first (default ${DEFAULT_RESULTS}).`,
    },
  },
  required: ['query'],
  additionalProperties: false,
});

/** The model's input, checked: the SDK does not validate input against a plain JSON schema. */
function parseInput(input: unknown): { query: string; sessionId: string | null; limit: number } {
  if (typeof input !== 'object' || input === null) throw new Error('Expected {"query": "..."}');
  const { query, session_id: sessionId, limit } = input as Record<string, unknown>;
  if (typeof query !== 'string' || query.trim().length === 0 || query.length > MAX_QUERY_CHARS) {
    throw new Error(`"query" must be a non-empty string of at most ${MAX_QUERY_CHARS} characters`);
  }
  if (sessionId !== undefined && (typeof sessionId !== 'string' || sessionId.length > MAX_SESSION_ID_CHARS)) {
    throw new Error(`"session_id" must be a string of at most ${MAX_SESSION_ID_CHARS} characters`);
  }
  if (
    limit !== undefined &&
    (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > SEARCH_HISTORY_MAX_RESULTS)
  ) {
    throw new Error(`"limit" must be an integer from 1 to ${SEARCH_HISTORY_MAX_RESULTS}`);
  }
  return { query: query.trim(), sessionId: sessionId ?? null, limit: limit ?? DEFAULT_RESULTS };
}

/**
 * Built-in tool: searches the calling tenant's own conversation history for a phrase. The tenant
 * comes from `scope`, bound by the turn pipeline; a `session_id` argument can only narrow the
 * search within that tenant (another tenant's session id finds nothing, exactly like a missing one).
 */
export function createSearchHistoryTool(search: SearchMessages, scope: SearchScope) {
  return tool({
    description:
      "Searches this user's earlier conversations (every session, or one) for a word or phrase, " +
      'newest first. Returns the session id, role, time and a short snippet around each match.',
    inputSchema: INPUT,
    execute: async (input: unknown) => {
      const { query, sessionId, limit } = parseInput(input);
      const hits = await search(scope.tenantId, { query, sessionId, excludeTurnId: scope.turnId, limit });
      return {
        query,
        results: hits.map((hit) => ({
          session_id: hit.sessionId,
          seq: hit.seq,
          role: hit.role,
          created_at: hit.createdAt,
          snippet: snippetAround(hit.text, query),
        })),
      };
    },
  });
}
