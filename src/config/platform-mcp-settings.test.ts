import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';

const load = (servers: unknown, env: Record<string, string> = {}) =>
  loadConfig({ ENCLAVE_PLATFORM_MCP_SERVERS: typeof servers === 'string' ? servers : JSON.stringify(servers), ...env });

describe('ENCLAVE_PLATFORM_MCP_SERVERS', () => {
  it('reads stdio and HTTP declarations, with their {"env": NAME} values from the environment', () => {
    const config = load(
      [
        {
          name: 'files',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', 'server'],
          env: { TOKEN: { env: 'FILES_TOKEN' } },
        },
        {
          name: 'docs',
          transport: 'streamable-http',
          url: 'https://mcp.example.com/mcp',
          headers: { Authorization: { env: 'DOCS_AUTH' }, 'X-Team': 'platform' },
          tools: ['search'],
          timeout_ms: 5_000,
        },
      ],
      { FILES_TOKEN: 'f-1', DOCS_AUTH: 'Bearer d-2' },
    );
    expect(config.platformMcpServers).toEqual([
      { name: 'files', transport: 'stdio', command: 'npx', args: ['-y', 'server'], env: { TOKEN: 'f-1' } },
      {
        name: 'docs',
        transport: 'streamable-http',
        url: 'https://mcp.example.com/mcp',
        headers: { Authorization: 'Bearer d-2', 'X-Team': 'platform' },
        tools: ['search'],
        timeout_ms: 5_000,
      },
    ]);
  });

  it('defaults to none', () => {
    expect(loadConfig({}).platformMcpServers).toEqual([]);
  });

  it.each([
    ['not JSON', '[{', /not valid JSON/],
    ['a bad name', [{ name: 'Files_1', transport: 'stdio', command: 'x' }], /\[0\]\.name/],
    [
      'a duplicate name',
      [
        { name: 'a', transport: 'stdio', command: 'x' },
        { name: 'a', transport: 'stdio', command: 'y' },
      ],
      /\[1\]\.name: is a duplicate/,
    ],
    ['stdio without a command', [{ name: 'a', transport: 'stdio' }], /\[0\]\.command/],
    ['an HTTP server without a URL', [{ name: 'a', transport: 'sse' }], /\[0\]\.url/],
    ['a file: URL', [{ name: 'a', transport: 'streamable-http', url: 'file:///etc/passwd' }], /\[0\]\.url/],
    ['an unknown field', [{ name: 'a', transport: 'stdio', command: 'x', shell: true }], /shell/],
    [
      'a header value with a line break',
      [{ name: 'a', transport: 'sse', url: 'https://x.test/', headers: { A: 'b\r\nC: d' } }],
      /line breaks/,
    ],
    ['a bad tool name', [{ name: 'a', transport: 'stdio', command: 'x', tools: ['no spaces'] }], /tools/],
  ])('refuses %s, naming the variable', (_label, servers, message) => {
    expect(() => load(servers)).toThrow(/ENCLAVE_PLATFORM_MCP_SERVERS/);
    expect(() => load(servers)).toThrow(message);
  });

  it('refuses an {"env": NAME} that is unset, without printing any value', () => {
    expect(() => load([{ name: 'a', transport: 'stdio', command: 'x', env: { T: { env: 'MISSING_VAR' } } }])).toThrow(
      'ENCLAVE_PLATFORM_MCP_SERVERS: platform MCP server a: MISSING_VAR is not set',
    );
  });
});
