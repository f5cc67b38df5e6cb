import { describe, expect, it } from 'vitest';
import type { PlatformMcpServer } from '../../../core/mcp/platform-mcp-server.ts';
import { parsePlatformToolName, toolCatalog } from './platform-tool-names.ts';

const servers: PlatformMcpServer[] = [
  { name: 'files', transport: 'stdio', command: 'x', args: [], env: {} },
  { name: 'docs', transport: 'sse', url: 'https://x.test/', headers: {}, tools: ['search'] },
];

describe('platform tool names', () => {
  it('splits <server>__<tool>, and <server>__* for all tools', () => {
    expect(parsePlatformToolName(servers, 'files__read_file')?.tool).toBe('read_file');
    expect(parsePlatformToolName(servers, 'files__*')?.tool).toBe('*');
    expect(parsePlatformToolName(servers, 'docs__search')?.server.name).toBe('docs');
  });

  it('answers null for another server, a tool outside the allowlist or a malformed name', () => {
    for (const name of ['github__x', 'docs__delete', 'files__', '__x', 'files__a b', 'current_time', 'files_x']) {
      expect(parsePlatformToolName(servers, name), name).toBeNull();
    }
  });

  it('the catalog lists the allowlisted names and accepts any tool of a server without a list', () => {
    const catalog = toolCatalog(servers, () => ['current_time']);
    expect(catalog.toolNames()).toEqual(['current_time', 'files__*', 'docs__*', 'docs__search']);
    expect(catalog.acceptsTool('files__anything')).toBe(true);
    expect(catalog.acceptsTool('docs__anything')).toBe(false);
  });
});
