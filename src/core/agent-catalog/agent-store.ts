import type { Agent, AgentConfig, AgentVersion, NewAgent, TurnAgent } from './agent.ts';

/**
 * Storage of a tenant's agents other than the default one (whose versions are the tenant config's).
 * Every method takes the tenant first and touches only its rows; the caller authorises the tenant.
 * An agent of another tenant answers exactly like a missing one (null or AGENT_NOT_FOUND).
 */
export interface AgentStore {
  /**
   * Creates the agent with version 1, in one transaction that first locks the tenant row, so the
   * count stays under `maxAgents` (the default agent counts as one) under concurrent creates.
   * Throws TENANT_NOT_FOUND, AGENT_ALREADY_EXISTS or AGENT_LIMIT_REACHED.
   */
  createAgent(tenantId: string, agent: NewAgent, options: { maxAgents: number }): Promise<Agent>;
  getAgent(tenantId: string, agentId: string): Promise<Agent | null>;
  /** Agents ordered by id, with their current config; `afterId` is exclusive. */
  listAgents(tenantId: string, options: { limit: number; afterId: string | null }): Promise<Agent[]>;
  /**
   * Up to `limit` agents named exactly `name`, ordered by id (names are not unique). One query that
   * reads only the matching rows: an OpenAI `model` naming an agent is looked up on every call.
   */
  findAgentsByName(tenantId: string, name: string, limit: number): Promise<Agent[]>;
  /**
   * Changes the labels and, when `nextConfig` is given, stores a new version. The agent row is
   * locked first and the version allocated by incrementing it, so concurrent updates each get their
   * own version, each merged over the one before. `nextConfig` may throw (validation): nothing is
   * written then. Returns null when the agent does not exist.
   */
  updateAgent(
    tenantId: string,
    agentId: string,
    changes: {
      name?: string;
      description?: string | null;
      metadata?: Record<string, string>;
      nextConfig?: (current: AgentConfig) => AgentConfig;
      createdBy: string;
    },
  ): Promise<Agent | null>;
  /** Versions newest first; `beforeVersion` is exclusive. Empty for a missing agent. */
  listAgentVersions(
    tenantId: string,
    agentId: string,
    options: { limit: number; beforeVersion: number | null },
  ): Promise<AgentVersion[]>;
  getAgentVersion(tenantId: string, agentId: string, version: number): Promise<AgentVersion | null>;
  /**
   * Deletes the agent and its versions. While sessions use it the delete is refused with
   * AGENT_HAS_SESSIONS, unless `cascade`: then those sessions, their messages and summaries go too,
   * and the ids of their turns are returned (for purging their event logs). Null when missing.
   */
  deleteAgent(tenantId: string, agentId: string, options: { cascade: boolean }): Promise<{ turnIds: string[] } | null>;
  /**
   * The agent a session's next turn runs, in one indexed read: null when the session does not
   * exist; `agent` null for the default agent. Throws AGENT_NOT_FOUND when the session names an
   * agent that is gone.
   */
  sessionAgent(tenantId: string, sessionId: string): Promise<{ agent: TurnAgent | null } | null>;
  /**
   * Hands the session over to another agent (null: the default agent); its history stays.
   * Throws AGENT_NOT_FOUND for an agent this tenant lacks; returns false when the session is missing.
   */
  setSessionAgent(tenantId: string, sessionId: string, agentId: string | null): Promise<boolean>;
}
