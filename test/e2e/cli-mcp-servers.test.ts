import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAgainst } from '../helpers/run-cli.ts';

let dir: string;
let databaseUrl: string;

const { enclave, enclaveJson } = cliAgainst(() => databaseUrl);

describe('enclave mcp-servers', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'enclave-cli-mcp-'));
    databaseUrl = `sqlite:${join(dir, 'cli.db')}`;
    expect((await enclave('tenants', 'create', 'acme')).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers, lists, changes and deletes a server', async () => {
    const server = {
      name: 'github',
      url: 'https://mcp.example.com/mcp',
      auth: { type: 'headers', headers: { Authorization: 'Bearer {{secret:github.token}}' } },
    };
    const created = await enclaveJson('mcp-servers', 'create', '--tenant', 'acme', '--config', JSON.stringify(server));
    expect(created).toMatchObject({ object: 'mcp_server', ...server, transport: 'streamable-http' });
    const listed = await enclaveJson('mcp-servers', 'list', '--tenant', 'acme');
    expect(listed.data.map((item: { id: string }) => item.id)).toEqual([created.id]);
    const updated = await enclaveJson(
      'mcp-servers',
      'update',
      created.id,
      '--tenant',
      'acme',
      '--config',
      '{"call_timeout_ms":5000}',
    );
    expect(updated).toMatchObject({ id: created.id, call_timeout_ms: 5000, name: 'github' });

    const bad = await enclave('mcp-servers', 'create', '--tenant', 'acme', '--config', '{"name":"Bad Name","url":"x"}');
    expect(bad.code).not.toBe(0);
    const refused = await enclave('mcp-servers', 'delete', created.id, '--tenant', 'acme');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--yes');
    expect(await enclaveJson('mcp-servers', 'delete', created.id, '--tenant', 'acme', '--yes')).toEqual({
      id: created.id,
      deleted: true,
    });
    const missing = await enclave('mcp-servers', 'show', created.id, '--tenant', 'acme');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('MCP server not found');
  });
});
