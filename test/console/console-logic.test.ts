import { describe, expect, it } from 'vitest';
import { diffLines, stableJson } from '../../web/src/diff.ts';
import { httpUrlOrNull } from '../../web/src/safe-url.ts';
import { SseParser } from '../../web/src/sse.ts';
import {
  bucketsBetween,
  fromAggregates,
  groupLabelOf,
  toSeries,
  totalsOf,
  type UsageAggregate,
} from '../../web/src/usage-data.ts';

/** The console's pure logic (web/src), the parts the browser tests reach only indirectly. */
describe('console logic', () => {
  it('parses SSE split anywhere, with CRLF, comments, ids and multi-line data', () => {
    const text =
      ': ping\r\nid: 1\r\nevent: turn-start\r\ndata: {"a":\r\ndata: 1}\r\n\r\nid: 2\nevent: text-delta\ndata: {"delta":"hi"}\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events).toEqual([
        { id: '1', event: 'turn-start', data: '{"a":\n1}' },
        { id: '2', event: 'text-delta', data: '{"delta":"hi"}' },
      ]);
    }
  });

  it('diffs configs by content, whatever the key order', () => {
    const before = stableJson({ b: 1, a: { y: 2, x: 1 } });
    const after = stableJson({ a: { x: 1, y: 3 }, b: 1 });
    expect(diffLines(before, after).filter((line) => line.op !== ' ')).toEqual([
      { op: '-', text: '    "y": 2' },
      { op: '+', text: '    "y": 3' },
    ]);
    expect(diffLines('same', 'same')).toEqual([{ op: ' ', text: 'same' }]);
  });

  it('charts server-grouped usage by day and month, with zero-filled quiet days, exact totals and average latency', () => {
    const row = (bucket: Partial<UsageAggregate>, turns: number, latency: number | null): UsageAggregate => ({
      day: null,
      model: null,
      turns,
      latency_ms_avg: latency,
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: turns * 10,
      tool_calls: 0,
      ...bucket,
    });
    const byKey = groupLabelOf('key');
    const days = bucketsBetween('2026-01-30', '2026-02-01', 'day');
    expect(days).toEqual(['2026-01-30', '2026-01-31', '2026-02-01']);
    const daily = [
      row({ day: '2026-01-30', key_id: 'k1' }, 2, 200),
      row({ day: '2026-02-01', key_id: 'k2' }, 1, 50),
      row({ day: '2026-02-01', key_id: null }, 3, null),
    ];
    const turns = toSeries(fromAggregates(daily, byKey, 'day'), days, 'turns');
    expect(turns.groups).toEqual(['k1', 'k2', 'no key (JWT)']);
    expect(turns.values).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [0, 0, 3],
    ]);
    // Day rows shown by month merge, the latency weighted by turns (rows without one do not count).
    const months = bucketsBetween('2026-01-30', '2026-02-01', 'month');
    expect(months).toEqual(['2026-01', '2026-02']);
    const all = [...daily, row({ day: '2026-02-01', key_id: 'k2' }, 3, 150)];
    expect(
      toSeries(
        fromAggregates(all, () => 'all', 'month'),
        months,
        'latency',
      ).values,
    ).toEqual([[200, 125]]);
    // Month rows (group_by=month,…) carry their own bucket.
    const monthly = [row({ month: '2026-02', key_id: 'k2' }, 4, 125)];
    expect(toSeries(fromAggregates(monthly, byKey, 'month'), months, 'turns').values).toEqual([[0, 4]]);
    // Totals are the server's rows grouped by the dimension alone, sorted by group.
    expect(totalsOf([row({ key_id: 'k2' }, 4, 125), row({ key_id: 'k1' }, 2, 200)], byKey)).toEqual([
      { group: 'k1', tokens: 20, turns: 2, latency: 200 },
      { group: 'k2', tokens: 40, turns: 4, latency: 125 },
    ]);
  });

  it('opens only http(s) authorization URLs', () => {
    expect(httpUrlOrNull('https://as.example/authorize?state=1')).toBe('https://as.example/authorize?state=1');
    expect(httpUrlOrNull('http://127.0.0.1:9/authorize')).toBe('http://127.0.0.1:9/authorize');
    for (const bad of ['javascript:alert(1)', 'data:text/html,<script>1</script>', 'JAVASCRIPT:x', 'not a url', ''])
      expect(httpUrlOrNull(bad)).toBeNull();
  });
});
