import { describe, expect, it } from 'vitest';
import { diffLines, stableJson } from '../../web/src/diff.ts';
import { SseParser } from '../../web/src/sse.ts';
import { bucketsBetween, fromAggregates, toSeries, type UsageAggregate } from '../../web/src/usage-data.ts';

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

  it('turns server aggregates into day and month buckets, with zero-filled quiet days and turn-weighted latency', () => {
    const row = (day: string, key_id: string, turns: number, latency: number | null): UsageAggregate => ({
      day,
      model: null,
      key_id,
      turns,
      latency_ms_avg: latency,
      input_tokens: 5 * turns,
      output_tokens: 5 * turns,
      total_tokens: 10 * turns,
      tool_calls: 0,
    });
    // A day of k2 with a summary only: tokens charged, no turn, no latency.
    const rows = [row('2026-01-30', 'k1', 2, 200), row('2026-02-01', 'k2', 1, 50), row('2026-01-31', 'k2', 0, null)];
    const days = bucketsBetween('2026-01-30', '2026-02-01', 'day');
    expect(days).toEqual(['2026-01-30', '2026-01-31', '2026-02-01']);
    const turns = toSeries(
      fromAggregates(rows, (item) => item.key_id ?? '-', 'day'),
      days,
      'turns',
    );
    expect(turns.groups).toEqual(['k1', 'k2']);
    expect(turns.values).toEqual([
      [2, 0, 0],
      [0, 0, 1],
    ]);
    expect(turns.totals).toEqual([
      { group: 'k1', tokens: 20, turns: 2, latency: 200 },
      { group: 'k2', tokens: 10, turns: 1, latency: 50 },
    ]);
    const months = bucketsBetween('2026-01-30', '2026-02-01', 'month');
    expect(
      toSeries(
        fromAggregates(rows, () => 'all', 'month'),
        months,
        'latency',
      ).values,
    ).toEqual([[200, 50]]);
    // Grouped by month on the server, a row carries its month instead of a day.
    const monthly = fromAggregates([{ ...row('', 'k1', 3, 100), day: null, month: '2026-02' }], () => 'all', 'month');
    expect(monthly).toEqual([
      { bucket: '2026-02', group: 'all', tokens: 30, turns: 3, latencySum: 300, latencyCount: 3 },
    ]);
  });
});
