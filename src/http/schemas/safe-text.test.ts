import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSafeText } from '../../core/safe-text.ts';
import { clientMessageSchema } from '../routes/v1/websocket-messages.ts';
import { findUnsafeText } from './safe-text.ts';

describe('isSafeText', () => {
  it('refuses NUL and unpaired surrogates, and keeps every other string', () => {
    for (const bad of ['\u0000', 'a\u0000', '\ud800', 'x\udfff', '\ude00\ud83d']) expect(isSafeText(bad)).toBe(false);
    for (const good of ['', 'tab\tnewline\n\r', '\u0001\u001f\u007f\u0085', '\ud83d\ude00', '\ufffd\ufeff'])
      expect(isSafeText(good)).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => isSafeText(text) === !text.includes('\u0000')),
      { seed: 15 },
    );
  });
});

describe('findUnsafeText', () => {
  it('names the first unsafe value or key, however deep, without echoing the key', () => {
    expect(findUnsafeText({ a: ['ok', { b: 'x\u0000' }] }, 'body')?.path).toBe('body.a.1.b');
    expect(findUnsafeText({ a: { '\ud800': 1 } }, 'body')).toMatchObject({ path: 'body.a' });
    expect(findUnsafeText({ a: [1, true, null, 'fine'] }, 'body')).toBeUndefined();
    let deep: unknown = 'x\u0000';
    for (let depth = 0; depth < 100_000; depth++) deep = [deep];
    expect(findUnsafeText(deep, 'body')?.path.length).toBeGreaterThan(100_000);
  });
});

describe('WebSocket client messages', () => {
  const schema = clientMessageSchema({ messageMaxChars: 100 });
  it('refuse NUL and unpaired surrogates in content, language and client_ref, and keep control characters', () => {
    const start = { type: 'turn.start', session_id: 's1' };
    expect(schema.safeParse({ ...start, content: 'a\u0000' }).success).toBe(false);
    expect(schema.safeParse({ ...start, content: 'a\ud800' }).success).toBe(false);
    expect(schema.safeParse({ ...start, content: 'ok', language: 'e\u0000' }).success).toBe(false);
    expect(schema.safeParse({ type: 'ping', client_ref: '\udc00' }).success).toBe(false);
    expect(schema.safeParse({ ...start, content: 'tab\t\u0007\u001b\ud83d\ude00' }).success).toBe(true);
  });
});
