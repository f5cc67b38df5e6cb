import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from './logger-options.ts';

const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

describe('loggerOptions', () => {
  // The production image installs with --omit=dev: a transport that is only a devDependency
  // crashes the server at start with LOG_FORMAT=pretty, a documented value.
  it.each(['json', 'pretty'] as const)('LOG_FORMAT=%s loads only production dependencies', (format) => {
    const transport = loggerOptions({ level: 'info', format }).transport;
    const target = transport && 'target' in transport ? transport.target : null;
    if (target) expect(Object.keys(packageJson.dependencies)).toContain(target);
  });

  it('redacts credentials', () => {
    expect(loggerOptions({ level: 'info', format: 'json' }).redact).toContain('req.headers.authorization');
  });
});
