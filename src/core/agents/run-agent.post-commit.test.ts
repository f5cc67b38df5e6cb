import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulatedModel } from '../../providers/simulated/simulated-model.ts';
import { createStorage } from '../../storage/create-storage.ts';
import { createToolRegistry } from '../../tools/tool-registry.ts';
import { createIds } from '../ids.ts';
import type { Storage } from '../ports.ts';
import { DEFAULT_TENANT_CONFIG, type LimitSettings } from '../tenants/tenant-config.ts';
import { type AgentDeps, runAgentTurn } from './run-agent.ts';
import type { TurnAdmission } from './turn-admission.ts';

let storage: Storage;
beforeEach(async () => {
  ({ storage } = await createStorage({ databaseUrl: 'sqlite::memory:', sqliteSynchronous: 'NORMAL', migrate: true }));
});
afterEach(async () => {
  await storage.close();
});

const UNLIMITED: LimitSettings = {
  requestsPerMinute: null,
  concurrentTurns: null,
  tokensPerMinute: null,
  tokensPerDay: null,
  tokensPerMonth: null,
};

/** Admission whose counter store went away after admitting: charging and releasing fail. */
function storeGoneAfterAdmit(): TurnAdmission {
  const gone = () => Promise.reject(new Error('Connection is closed.'));
  return {
    admit: async () => ({ release: gone }),
    recordTokens: gone,
    countRequest: async () => null,
    forgetTenant: async () => {},
  };
}

function deps(warnings: string[]): AgentDeps {
  const tools = createToolRegistry({ now: () => new Date('2026-11-25T00:00:00Z') });
  return {
    storage,
    ids: createIds(),
    now: () => 0,
    resolveModel: () => createSimulatedModel(),
    resolveTools: (_tenant, names) => tools.select(names),
    settings: { systemPrompt: 'sys', contextBudgetTokens: 1000, maxToolSteps: 3 },
    admission: storeGoneAfterAdmit(),
    sessionLock: {
      acquire: async () => ({ release: () => Promise.reject(new Error('Connection is closed.')) }),
      close: async () => {},
    },
    log: { warn: (_details, message) => warnings.push(message) },
  };
}

const turn = {
  config: { version: 0, config: DEFAULT_TENANT_CONFIG, createdBy: 'default', createdAt: '' },
  actor: { keyId: null, userId: null },
  tenantId: 't',
  sessionId: 'ses_legacy',
  text: 'hi',
  requestId: 'r1',
  createTenant: true,
  createSession: { id: 'ses_legacy', title: null, userId: null, metadata: {} },
  sessionConcurrency: 'enqueue' as const,
};

describe('runAgentTurn after the turn commits', () => {
  it.each([
    ['a tenant with a token quota', { ...UNLIMITED, tokensPerMonth: 1_000_000 }],
    ['a tenant without limits', UNLIMITED],
  ])('%s: counters and the session lock that fail are logged, the stored turn succeeds', async (_name, tenant) => {
    const warnings: string[] = [];
    const result = await runAgentTurn(deps(warnings), { ...turn, limits: { tenant, key: null } });
    expect(result.reply.final).toBe(true);
    const stored = await storage.listMessages('t', 'ses_legacy', { limit: 10, cursorSeq: null, order: 'asc' });
    expect(stored.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(warnings).toContain('could not charge a stored turn to token limits');
    expect(warnings).toContain('could not release a session lock');
    if (tenant.tokensPerMonth !== null) expect(warnings).toContain('could not release a turn slot');
  });

  it('a stream writer that fails on turn-end does not fail the stored turn', async () => {
    const warnings: string[] = [];
    const result = await runAgentTurn(deps(warnings), {
      ...turn,
      sessionConcurrency: null,
      onEvent(event) {
        if (event.type === 'turn-end') throw new Error('socket gone');
      },
    });
    expect(result.reply.final).toBe(true);
    expect(warnings).toContain('could not deliver the turn-end event');
  });
});
