import { AppError } from '../errors.ts';
import { isSafeText } from '../safe-text.ts';

/**
 * Opaque pagination cursors. A cursor names the last item a page returned; its encoding is
 * private so clients cannot depend on it. Decoding rejects anything malformed with INVALID_CURSOR.
 */
export function encodeCursor(position: string | number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

export function decodeSeqCursor(cursor: string): number {
  const position = decode(cursor);
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) throw invalid();
  return position;
}

export function decodeIdCursor(cursor: string): string {
  const position = decode(cursor);
  if (typeof position !== 'string' || position.length === 0 || position.length > 128) throw invalid();
  // Ids never hold NUL (PostgreSQL would refuse the query with a 500) or unpaired surrogates.
  if (!isSafeText(position)) throw invalid();
  return position;
}

function decode(cursor: string): unknown {
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(cursor)) throw invalid();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && 'p' in parsed ? parsed.p : undefined;
  } catch {
    throw invalid();
  }
}

function invalid(): AppError {
  return new AppError('INVALID_CURSOR', 'The cursor is malformed; pass next_cursor from a previous page unchanged');
}
