import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIdCursor, decodeSeqCursor, encodeCursor } from './cursor.ts';

describe('cursors', () => {
  it('round-trip sequence numbers and ids', () => {
    fc.assert(fc.property(fc.nat(), (seq) => decodeSeqCursor(encodeCursor(seq)) === seq));
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 64 }), (id) => decodeIdCursor(encodeCursor(id)) === id));
  });

  it('reject anything that is not a cursor of the right kind with INVALID_CURSOR', () => {
    for (const bad of ['', '%%%', 'not base64!', Buffer.from('{"x":1}').toString('base64url'), encodeCursor('ses_1')]) {
      expect(() => decodeSeqCursor(bad)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    }
    expect(() => decodeIdCursor(encodeCursor(5))).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    for (const id of ['a\u0000', '\ud800', 'x\udc00y'])
      expect(() => decodeIdCursor(encodeCursor(id))).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    fc.assert(
      fc.property(fc.string(), (junk) => {
        try {
          decodeSeqCursor(junk);
        } catch (error) {
          return (error as { code?: string }).code === 'INVALID_CURSOR';
        }
        return true;
      }),
    );
  });
});
