import { describe, expect, it } from 'vitest';
import { createMcpToolCache } from './mcp-tool-cache.ts';

const tools = (name: string) => [{ name, description: null, inputSchema: { type: 'object' } }];

describe('MCP tool list cache', () => {
  it('expires entries after the TTL', () => {
    let now = 0;
    const cache = createMcpToolCache({ ttlMs: 100, perTenant: 4, tenants: 4, now: () => now });
    cache.set('a', 's1', 'k', tools('x'));
    expect(cache.get('a', 'k')).toEqual(tools('x'));
    now = 100;
    expect(cache.get('a', 'k')).toBeNull();
  });

  it('keeps tenants apart: the same key in another tenant is another entry', () => {
    const cache = createMcpToolCache({ ttlMs: 1_000, perTenant: 4, tenants: 4, now: () => 0 });
    cache.set('a', 's1', 'k', tools('a-tool'));
    expect(cache.get('b', 'k')).toBeNull();
    cache.set('b', 's1', 'k', tools('b-tool'));
    expect(cache.get('a', 'k')).toEqual(tools('a-tool'));
  });

  it('bounds entries per tenant: a tenant with many servers evicts only its own oldest', () => {
    const cache = createMcpToolCache({ ttlMs: 1_000, perTenant: 2, tenants: 4, now: () => 0 });
    cache.set('quiet', 's', 'q', tools('q'));
    for (const key of ['k1', 'k2', 'k3']) cache.set('busy', key, key, tools(key));
    expect(cache.get('busy', 'k1')).toBeNull();
    expect(cache.get('busy', 'k3')).toEqual(tools('k3'));
    expect(cache.get('quiet', 'q')).toEqual(tools('q'));
  });

  it('bounds tenants, dropping the least recently written one', () => {
    const cache = createMcpToolCache({ ttlMs: 1_000, perTenant: 2, tenants: 2, now: () => 0 });
    cache.set('a', 's', 'k', tools('a'));
    cache.set('b', 's', 'k', tools('b'));
    cache.set('c', 's', 'k', tools('c'));
    expect(cache.get('a', 'k')).toBeNull();
    expect(cache.get('c', 'k')).toEqual(tools('c'));
  });

  it('invalidates every entry of one server (all its users), and only those', () => {
    const cache = createMcpToolCache({ ttlMs: 1_000, perTenant: 8, tenants: 4, now: () => 0 });
    cache.set('a', 's1', 's1-u1', tools('x'));
    cache.set('a', 's1', 's1-u2', tools('x'));
    cache.set('a', 's2', 's2', tools('y'));
    cache.invalidate('a', 's1');
    expect(cache.get('a', 's1-u1')).toBeNull();
    expect(cache.get('a', 's1-u2')).toBeNull();
    expect(cache.get('a', 's2')).toEqual(tools('y'));
  });
});
