import type { Agent, AgentConfig, AgentVersion } from '../core/agent-catalog/agent.ts';
import type { AgentStore } from '../core/agent-catalog/agent-store.ts';
import { AppError } from '../core/errors.ts';
import type { SqlClient, SqlDatabase, SqlRow } from './sql-database.ts';

const AGENT_COLUMNS = `a.id, a.name, a.description, a.metadata, a.current_version, a.created_at, a.updated_at, v.config`;
const AGENT_FROM = `agents a JOIN agent_versions v ON v.tenant_id = a.tenant_id AND v.agent_id = a.id AND v.version = a.current_version`;
/** The agents of a tenant with this exact name (an index probe on `agents_name`), by id. */
export const FIND_AGENTS_BY_NAME = `SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE a.tenant_id = ? AND a.name = ? ORDER BY a.id LIMIT ?`;

function toAgent(row: SqlRow): Agent {
  return {
    id: String(row.id),
    name: String(row.name),
    description: row.description == null ? null : String(row.description),
    metadata: JSON.parse(String(row.metadata ?? '{}')) as Record<string, string>,
    version: Number(row.current_version),
    config: JSON.parse(String(row.config)) as AgentConfig,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

function toAgentVersion(row: SqlRow): AgentVersion {
  return {
    agentId: String(row.agent_id),
    version: Number(row.version),
    config: JSON.parse(String(row.config)) as AgentConfig,
    createdBy: String(row.created_by),
    createdAt: String(row.created_at),
  };
}

/**
 * Locks the agent row until the transaction ends (a no-op update: portable, unlike FOR UPDATE),
 * so a delete and a session that starts using the agent never interleave. False when missing.
 */
export async function lockAgent(client: SqlClient, tenantId: string, agentId: string): Promise<boolean> {
  const result = await client.run(
    'UPDATE agents SET current_version = current_version WHERE tenant_id = ? AND id = ?',
    [tenantId, agentId],
  );
  return result.changes > 0;
}

/** Agents other than the default one, and which agent a session runs. */
export function createSqlAgents(database: SqlDatabase, now: () => Date): AgentStore {
  async function readAgent(client: SqlClient, tenantId: string, agentId: string): Promise<Agent | null> {
    const row = await client.get(`SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE a.tenant_id = ? AND a.id = ?`, [
      tenantId,
      agentId,
    ]);
    return row ? toAgent(row) : null;
  }

  return {
    async createAgent(tenantId, agent, { maxAgents }) {
      return database.forTenant(tenantId).transaction(async (client) => {
        const at = now().toISOString();
        // The tenant row lock serialises creates, so the count below holds until commit.
        const tenant = await client.run('UPDATE tenants SET updated_at = updated_at WHERE id = ?', [tenantId]);
        if (tenant.changes === 0) throw new AppError('TENANT_NOT_FOUND');
        const count = await client.get<{ agents: number }>(
          'SELECT count(*) AS agents FROM agents WHERE tenant_id = ?',
          [tenantId],
        );
        // The default agent always exists and counts as one.
        if (Number(count?.agents ?? 0) + 1 >= maxAgents) {
          throw new AppError('AGENT_LIMIT_REACHED', `This tenant may have at most ${maxAgents} agents`);
        }
        const inserted = await client.get(
          `INSERT INTO agents (tenant_id, id, name, description, metadata, current_version, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (tenant_id, id) DO NOTHING RETURNING id`,
          [tenantId, agent.id, agent.name, agent.description, JSON.stringify(agent.metadata), at, at],
        );
        if (!inserted) throw new AppError('AGENT_ALREADY_EXISTS');
        await client.run(
          'INSERT INTO agent_versions (tenant_id, agent_id, version, config, created_by, created_at) VALUES (?, ?, 1, ?, ?, ?)',
          [tenantId, agent.id, JSON.stringify(agent.config), agent.createdBy, at],
        );
        return {
          id: agent.id,
          name: agent.name,
          description: agent.description,
          metadata: agent.metadata,
          version: 1,
          config: agent.config,
          createdAt: at,
          updatedAt: at,
        };
      });
    },

    getAgent: (tenantId, agentId) =>
      database.forTenant(tenantId).read((client) => readAgent(client, tenantId, agentId)),

    async listAgents(tenantId, { limit, afterId }) {
      const rows = await database
        .forTenant(tenantId)
        .all(`SELECT ${AGENT_COLUMNS} FROM ${AGENT_FROM} WHERE a.tenant_id = ? AND a.id > ? ORDER BY a.id LIMIT ?`, [
          tenantId,
          afterId ?? '',
          limit,
        ]);
      return rows.map(toAgent);
    },

    async findAgentsByName(tenantId, name, limit) {
      const rows = await database.forTenant(tenantId).all(FIND_AGENTS_BY_NAME, [tenantId, name, limit]);
      return rows.map(toAgent);
    },

    async updateAgent(tenantId, agentId, changes) {
      return database.forTenant(tenantId).transaction(async (client) => {
        const at = now().toISOString();
        // Takes the row lock before reading the current config: concurrent updates queue here, and
        // each merges over the version the one before it stored.
        const locked = await client.get<{ current_version: number }>(
          `UPDATE agents SET updated_at = ?,
             name = coalesce(?, name),
             description = CASE WHEN ? = 1 THEN ? ELSE description END,
             metadata = coalesce(?, metadata)
           WHERE tenant_id = ? AND id = ? RETURNING current_version`,
          [
            at,
            changes.name ?? null,
            changes.description === undefined ? 0 : 1,
            changes.description ?? null,
            changes.metadata === undefined ? null : JSON.stringify(changes.metadata),
            tenantId,
            agentId,
          ],
        );
        if (!locked) return null;
        if (changes.nextConfig) {
          const current = await client.get<{ config: string }>(
            'SELECT config FROM agent_versions WHERE tenant_id = ? AND agent_id = ? AND version = ?',
            [tenantId, agentId, Number(locked.current_version)],
          );
          const config = changes.nextConfig(JSON.parse(String(current?.config)) as AgentConfig);
          const bumped = await client.get<{ current_version: number }>(
            'UPDATE agents SET current_version = current_version + 1 WHERE tenant_id = ? AND id = ? RETURNING current_version',
            [tenantId, agentId],
          );
          await client.run(
            'INSERT INTO agent_versions (tenant_id, agent_id, version, config, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
            [tenantId, agentId, Number(bumped?.current_version), JSON.stringify(config), changes.createdBy, at],
          );
        }
        return readAgent(client, tenantId, agentId);
      });
    },

    async listAgentVersions(tenantId, agentId, { limit, beforeVersion }) {
      const rows = await database
        .forTenant(tenantId)
        .all(
          'SELECT agent_id, version, config, created_by, created_at FROM agent_versions WHERE tenant_id = ? AND agent_id = ? AND version < ? ORDER BY version DESC LIMIT ?',
          [tenantId, agentId, beforeVersion ?? Number.MAX_SAFE_INTEGER, limit],
        );
      return rows.map(toAgentVersion);
    },

    async getAgentVersion(tenantId, agentId, version) {
      const row = await database
        .forTenant(tenantId)
        .get(
          'SELECT agent_id, version, config, created_by, created_at FROM agent_versions WHERE tenant_id = ? AND agent_id = ? AND version = ?',
          [tenantId, agentId, version],
        );
      return row ? toAgentVersion(row) : null;
    },

    async deleteAgent(tenantId, agentId, { cascade }) {
      return database.forTenant(tenantId).transaction(async (client) => {
        // Locked before counting: a session that starts using the agent waits for this lock.
        if (!(await lockAgent(client, tenantId, agentId))) return null;
        const sessions = 'SELECT id FROM sessions WHERE tenant_id = ? AND agent_id = ?';
        const turnIds: string[] = [];
        if (!cascade) {
          const used = await client.get(`${sessions} LIMIT 1`, [tenantId, agentId]);
          if (used) throw new AppError('AGENT_HAS_SESSIONS');
        } else {
          const turns = await client.all<{ turn_id: string }>(
            `SELECT DISTINCT turn_id FROM messages WHERE tenant_id = ? AND session_id IN (${sessions})`,
            [tenantId, tenantId, agentId],
          );
          turnIds.push(...turns.map((row) => String(row.turn_id)));
          await client.run(`DELETE FROM session_summaries WHERE tenant_id = ? AND session_id IN (${sessions})`, [
            tenantId,
            tenantId,
            agentId,
          ]);
          await client.run(`DELETE FROM messages WHERE tenant_id = ? AND session_id IN (${sessions})`, [
            tenantId,
            tenantId,
            agentId,
          ]);
          await client.run('DELETE FROM sessions WHERE tenant_id = ? AND agent_id = ?', [tenantId, agentId]);
        }
        await client.run('DELETE FROM agent_versions WHERE tenant_id = ? AND agent_id = ?', [tenantId, agentId]);
        await client.run('DELETE FROM agents WHERE tenant_id = ? AND id = ?', [tenantId, agentId]);
        return { turnIds };
      });
    },

    async sessionAgent(tenantId, sessionId) {
      const row = await database.forTenant(tenantId).get(
        `SELECT s.agent_id, a.current_version, v.config FROM sessions s
           LEFT JOIN agents a ON a.tenant_id = s.tenant_id AND a.id = s.agent_id
           LEFT JOIN agent_versions v ON v.tenant_id = a.tenant_id AND v.agent_id = a.id AND v.version = a.current_version
          WHERE s.tenant_id = ? AND s.id = ?`,
        [tenantId, sessionId],
      );
      if (!row) return null;
      if (row.agent_id == null) return { agent: null };
      if (row.config == null) throw new AppError('AGENT_NOT_FOUND');
      return {
        agent: {
          id: String(row.agent_id),
          version: Number(row.current_version),
          config: JSON.parse(String(row.config)) as AgentConfig,
        },
      };
    },

    async setSessionAgent(tenantId, sessionId, agentId) {
      return database.forTenant(tenantId).transaction(async (client) => {
        if (agentId !== null && !(await lockAgent(client, tenantId, agentId))) throw new AppError('AGENT_NOT_FOUND');
        const result = await client.run('UPDATE sessions SET agent_id = ? WHERE tenant_id = ? AND id = ?', [
          agentId,
          tenantId,
          sessionId,
        ]);
        return result.changes > 0;
      });
    },
  };
}
