import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES } from './errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^## ([A-Z_]+)$/gm)].map((match) => match[1]);

describe('error codes', () => {
  it('every code in the table has an entry in docs/errors.md, and the reverse', () => {
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('each docs entry states the same status and retryability as the table', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section, code).toContain(`**${entry.status}**`);
      expect(section, code).toContain(entry.retryable ? 'retryable' : 'not retryable');
      if (entry.retryable) expect(section, code).not.toContain('not retryable');
    }
  });

  it('AppError carries code, status and cause', () => {
    const cause = new Error('boom');
    const error = new AppError('PROVIDER_ERROR', 'failed', { cause });
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 502, retryable: true, message: 'failed', cause });
    expect(new AppError('TENANT_NOT_FOUND').message).toBe('Tenant not found');
  });

  it('a refusal carries no stack frames, a server error does, and neither changes the global limit', () => {
    const limit = Error.stackTraceLimit;
    expect(new AppError('VALIDATION_FAILED').stack).not.toContain('\n    at ');
    expect(new AppError('PROVIDER_ERROR').stack).toContain('\n    at ');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
