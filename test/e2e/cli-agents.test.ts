import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAgainst } from '../helpers/run-cli.ts';

let dir: string;
let databaseUrl: string;

const { enclave, enclaveJson } = cliAgainst(() => databaseUrl);

describe('enclave agents', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enclave-cli-agents-'));
    databaseUrl = `sqlite:${join(dir, 'cli.db')}`;
    expect((await enclave('tenants', 'create', 'acme')).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates, changes, lists, restores and deletes an agent', async () => {
    const created = await enclaveJson(
      'agents',
      'create',
      'support',
      '--tenant',
      'acme',
      '--name',
      'Support',
      '--config',
      '{"system_prompt":"Help."}',
    );
    expect(created).toMatchObject({ id: 'support', version: 1, config: { system_prompt: 'Help.' } });
    const updated = await enclaveJson(
      'agents',
      'update',
      'support',
      '--tenant',
      'acme',
      '--config',
      '{"temperature":0.2}',
    );
    expect(updated).toMatchObject({ version: 2, config: { temperature: 0.2, system_prompt: 'Help.' } });
    const listed = await enclaveJson('agents', 'list', '--tenant', 'acme');
    expect(listed.data.map((agent: { id: string }) => agent.id)).toEqual(['default', 'support']);
    const versions = await enclaveJson('agents', 'versions', 'support', '--tenant', 'acme');
    expect(versions.data.map((version: { version: number }) => version.version)).toEqual([2, 1]);
    const restored = await enclaveJson('agents', 'restore', 'support', '1', '--tenant', 'acme');
    expect(restored).toMatchObject({ version: 3, config: { temperature: null } });

    const unknownTool = await enclave(
      'agents',
      'update',
      'support',
      '--tenant',
      'acme',
      '--config',
      '{"tools":["calculater"]}',
    );
    expect(unknownTool.code).toBe(1);
    expect(unknownTool.stderr).toContain('Unknown tool: calculater');
    const withoutYes = await enclave('agents', 'delete', 'support', '--tenant', 'acme');
    expect(withoutYes.code).toBe(2);
    expect((await enclave('agents', 'delete', 'support', '--tenant', 'acme', '--yes')).code).toBe(0);
    const gone = await enclave('agents', 'show', 'support', '--tenant', 'acme');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('Agent not found');
  });
});
