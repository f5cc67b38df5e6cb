import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OpenedDatabase, storageDialects } from '../../test/helpers/storage-dialects.ts';
import { agentConfigSchema, type NewAgent } from '../core/agent-catalog/agent.ts';
import type { AdminStorage, Storage } from '../core/ports.ts';
import { createStorage } from './create-storage.ts';
import { FIND_AGENTS_BY_NAME } from './sql-agents.ts';

/** The agent methods on every dialect (PostgreSQL as the runtime role, under RLS). */
const DIALECTS = storageDialects('agents');

const agent = (id: string, systemPrompt: string): NewAgent => ({
  id,
  name: id,
  description: null,
  metadata: {},
  config: agentConfigSchema.parse({ systemPrompt }),
  createdBy: 'test',
});

for (const dialect of DIALECTS) {
  describe(`agent storage: ${dialect.name}`, () => {
    let opened: OpenedDatabase | null;
    let storage: Storage;
    let admin: AdminStorage;

    beforeEach(async (context) => {
      opened = await dialect.open();
      if (!opened) return context.skip();
      ({ storage, admin } = await createStorage({ ...opened, sqliteSynchronous: 'NORMAL', migrate: true }));
      await admin.createTenant({ id: 'acme', name: 'Acme' });
      await admin.createTenant({ id: 'globex', name: 'Globex' });
    });
    afterEach(async () => {
      if (!opened) return;
      await storage.close();
      await opened.cleanup();
    });

    it('finds agents by exact name, ordered by id, at most the limit', async () => {
      await storage.createAgent('acme', agent('b-twin', 'Help.'), { maxAgents: 10 });
      await storage.createAgent('acme', agent('a-twin', 'Help.'), { maxAgents: 10 });
      await storage.createAgent('acme', agent('other', 'Help.'), { maxAgents: 10 });
      await storage.updateAgent('acme', 'b-twin', { name: 'Twin', createdBy: 't' });
      await storage.updateAgent('acme', 'a-twin', { name: 'Twin', createdBy: 't' });
      const twins = await storage.findAgentsByName('acme', 'Twin', 2);
      expect(twins.map((found) => found.id)).toEqual(['a-twin', 'b-twin']);
      expect(twins[0]).toEqual(await storage.getAgent('acme', 'a-twin'));
      expect(await storage.findAgentsByName('acme', 'Twin', 1)).toHaveLength(1);
      expect(await storage.findAgentsByName('acme', 'twin', 2)).toEqual([]);
    });

    it('looks a name up through the agents_name index, not a scan of the tenant', async (context) => {
      if (dialect.name !== 'sqlite' || !opened) return context.skip();
      const file = new DatabaseSync(opened.databaseUrl.slice('sqlite:'.length), { readOnly: true });
      try {
        const plan = file.prepare(`EXPLAIN QUERY PLAN ${FIND_AGENTS_BY_NAME}`).all('acme', 'Twin', 2);
        expect(plan.map((step) => String(step.detail))).toContainEqual(
          expect.stringMatching(/^SEARCH a USING INDEX agents_name \(tenant_id=\? AND name=\?\)/),
        );
      } finally {
        file.close();
      }
    });

    it("another tenant's agent answers exactly like a missing one", async () => {
      await storage.createAgent('acme', agent('support', 'Help.'), { maxAgents: 10 });
      expect(await storage.getAgent('globex', 'support')).toBeNull();
      expect(await storage.listAgents('globex', { limit: 10, afterId: null })).toEqual([]);
      expect(await storage.findAgentsByName('globex', 'support', 2)).toEqual([]);
      expect(await storage.listAgentVersions('globex', 'support', { limit: 10, beforeVersion: null })).toEqual([]);
      expect(await storage.getAgentVersion('globex', 'support', 1)).toBeNull();
      expect(await storage.updateAgent('globex', 'support', { name: 'x', createdBy: 't' })).toBeNull();
      expect(await storage.deleteAgent('globex', 'support', { cascade: true })).toBeNull();
      await storage.createSession(
        'globex',
        { id: 'ses_g', title: null, userId: null, metadata: {} },
        { createTenant: false },
      );
      await expect(storage.setSessionAgent('globex', 'ses_g', 'support')).rejects.toMatchObject({
        code: 'AGENT_NOT_FOUND',
      });
      await expect(
        storage.createSession(
          'globex',
          { id: 'ses_h', title: null, userId: null, metadata: {}, agentId: 'support' },
          { createTenant: false },
        ),
      ).rejects.toMatchObject({ code: 'AGENT_NOT_FOUND' });
      // The same id is free in the other tenant.
      await storage.createAgent('globex', agent('support', 'Other.'), { maxAgents: 10 });
      expect((await storage.getAgent('acme', 'support'))?.config.systemPrompt).toBe('Help.');
    });

    it('concurrent updates each get their own version, merged over the one before', async () => {
      await storage.createAgent('acme', agent('support', 'v1'), { maxAgents: 10 });
      const updates = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          storage.updateAgent('acme', 'support', {
            nextConfig: (current) => ({ ...current, stopSequences: [...current.stopSequences, `s${index}`].slice(-8) }),
            createdBy: 'test',
          }),
        ),
      );
      const versions = updates.map((updated) => updated?.version);
      expect(new Set(versions).size).toBe(20);
      expect((await storage.getAgent('acme', 'support'))?.version).toBe(21);
      const listed = await storage.listAgentVersions('acme', 'support', { limit: 100, beforeVersion: null });
      expect(listed.map((version) => version.version)).toEqual(Array.from({ length: 21 }, (_, index) => 21 - index));
    });

    it('caps the number of agents, the default one included', async () => {
      await storage.createAgent('acme', agent('a1', 'x'), { maxAgents: 3 });
      await storage.createAgent('acme', agent('a2', 'x'), { maxAgents: 3 });
      await expect(storage.createAgent('acme', agent('a3', 'x'), { maxAgents: 3 })).rejects.toMatchObject({
        code: 'AGENT_LIMIT_REACHED',
      });
      await expect(storage.createAgent('acme', agent('a1', 'x'), { maxAgents: 10 })).rejects.toMatchObject({
        code: 'AGENT_ALREADY_EXISTS',
      });
    });

    it('refuses to delete an agent in use unless cascading, which takes its sessions along', async () => {
      await storage.createAgent('acme', agent('sales', 'Sell.'), { maxAgents: 10 });
      const session = { id: 'ses_1', title: null, userId: null, metadata: {}, agentId: 'sales' };
      await storage.createSession('acme', session, { createTenant: false });
      expect(await storage.sessionAgent('acme', 'ses_1')).toMatchObject({ agent: { id: 'sales', version: 1 } });
      expect(await storage.sessionAgent('globex', 'ses_1')).toBeNull();
      await expect(storage.deleteAgent('acme', 'sales', { cascade: false })).rejects.toMatchObject({
        code: 'AGENT_HAS_SESSIONS',
      });
      expect(await storage.setSessionAgent('acme', 'ses_1', null)).toBe(true);
      expect(await storage.sessionAgent('acme', 'ses_1')).toEqual({ agent: null });
      expect(await storage.setSessionAgent('acme', 'ses_1', 'sales')).toBe(true);
      expect(await storage.deleteAgent('acme', 'sales', { cascade: true })).toEqual({ turnIds: [] });
      expect(await storage.getSession('acme', 'ses_1')).toBeNull();
      expect(await storage.getAgent('acme', 'sales')).toBeNull();
    });

    it('exports agents and versions, and deleting the tenant removes them', async () => {
      await storage.createAgent('acme', agent('support', 'Help.'), { maxAgents: 10 });
      const tables = new Set<string>();
      for await (const { table } of storage.exportTenant('acme')) tables.add(table);
      expect(tables).toContain('agents');
      expect(tables).toContain('agent_versions');
      expect(await admin.deleteTenant('acme')).toBe(true);
      await admin.createTenant({ id: 'acme', name: 'Acme again' });
      expect(await storage.getAgent('acme', 'support')).toBeNull();
    });
  });
}
