import { describe, expect, it } from 'vitest';
import { diffLines, stableJson } from '../../web/src/diff.ts';
import { SseParser } from '../../web/src/sse.ts';
import { bucketsBetween, fromRecords, toSeries, type UsageRecord } from '../../web/src/usage-data.ts';

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

  it('groups usage records into day and month buckets, with zero-filled quiet days and average latency', () => {
    const record = (created_at: string, key_id: string, latency_ms: number, status = 'completed'): UsageRecord => ({
      id: created_at,
      session_id: 's',
      turn_id: 't',
      key_id,
      user_id: null,
      model: 'simulated-1',
      total_tokens: 10,
      latency_ms,
      status,
      created_at,
    });
    const records = [
      record('2026-01-30T10:00:00Z', 'k1', 100),
      record('2026-01-30T11:00:00Z', 'k1', 300),
      record('2026-02-01T09:00:00Z', 'k2', 50),
      record('2026-02-01T09:00:01Z', 'k2', 999, 'summary'),
    ];
    const days = bucketsBetween('2026-01-30', '2026-02-01', 'day');
    expect(days).toEqual(['2026-01-30', '2026-01-31', '2026-02-01']);
    const turns = toSeries(
      fromRecords(records, (item) => item.key_id ?? '-', 'day'),
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
      { group: 'k2', tokens: 20, turns: 1, latency: 50 },
    ]);
    const months = bucketsBetween('2026-01-30', '2026-02-01', 'month');
    expect(
      toSeries(
        fromRecords(records, () => 'all', 'month'),
        months,
        'latency',
      ).values,
    ).toEqual([[200, 50]]);
  });
});
