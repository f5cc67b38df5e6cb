import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS } from './config-schema.ts';
import { loadConfig } from './load-config.ts';

const lines = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => /^[A-Z_]+=/.test(line));
const example = Object.fromEntries(
  lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

describe('.env.example', () => {
  it('lists every config variable, and nothing else', () => {
    expect(Object.keys(example).sort()).toEqual(Object.values(ENV_KEYS).sort());
  });

  it('shows the real defaults', () => {
    expect(loadConfig(example)).toEqual(loadConfig({}));
  });
});
