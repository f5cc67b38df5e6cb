import type { Client } from '@modelcontextprotocol/client';
import type { McpToolInfo } from '../../core/mcp/mcp-server.ts';

/**
 * Every tool a connected server lists, page after page (at most 10 pages: a server that pages
 * forever cannot hold the turn), each call within `timeoutMs` and the signal.
 */
export async function listAllTools(
  client: Client,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<McpToolInfo[]> {
  const found: McpToolInfo[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const result = await client.listTools(cursor ? { cursor } : undefined, {
      ...(signal ? { signal } : {}),
      timeout: timeoutMs,
    });
    for (const item of result.tools) {
      found.push({
        name: item.name,
        description: item.description ?? null,
        inputSchema: item.inputSchema as Record<string, unknown>,
      });
    }
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return found;
}
