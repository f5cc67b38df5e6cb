import { describe, expect, it } from 'vitest';
import { camelCaseKeys } from './config-service.ts';

describe('camelCaseKeys (config patches in either spelling)', () => {
  it('converts snake_case keys of the config and its nested objects', () => {
    expect(
      camelCaseKeys({ system_prompt: 'x', model: { api_key_secret: 'k' }, limits: { tokens_per_day: 5 } }),
    ).toEqual({
      systemPrompt: 'x',
      model: { apiKeySecret: 'k' },
      limits: { tokensPerDay: 5 },
    });
  });

  it('survives a body nested tens of thousands deep (found by the request fuzz: a 500 before)', () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let level = 0; level < 50_000; level++) deep = { a: deep };
    expect(() => camelCaseKeys({ constructor: deep })).not.toThrow();
  });

  it('keeps a __proto__ key as a plain field, never as the prototype', () => {
    const converted = camelCaseKeys(JSON.parse('{"__proto__": {"polluted": true}, "system_prompt": "x"}'));
    expect(Object.getPrototypeOf(converted)).toBe(Object.prototype);
    // An own (unknown) field, under its converted name, for validation to refuse.
    expect(Object.keys(converted)).toEqual(['_Proto__', 'systemPrompt']);
    expect((converted as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
