import { describe, expect, it } from 'vitest';
import { ESTIMATE_COUNTER } from '../core/context/token-counter.ts';
import { encodingsToPreload, openAiEncodingOf, tiktokenCounter, tokenCounterFor } from './token-counting.ts';

// Loading a rank file takes seconds on a busy machine: once per encoding, shared by every test here.
const TIMEOUT = { timeout: 60_000 };

describe('token counting per model family', () => {
  it('preloads only the encodings the configured providers can need', () => {
    expect(encodingsToPreload([])).toEqual([]);
    expect(encodingsToPreload([{ type: 'simulated' }, { type: 'anthropic' }, { type: 'bedrock' }])).toEqual([]);
    expect(encodingsToPreload([{ type: 'openai-compatible', models: ['llama-3.1-8b', 'mistral-small'] }])).toEqual([]);
    expect(encodingsToPreload([{ type: 'openai', models: ['gpt-4o-mini', 'gpt-5'] }])).toEqual(['o200k_base']);
    expect(encodingsToPreload([{ type: 'openai-compatible', models: ['openai/gpt-4-turbo'] }])).toEqual([
      'cl100k_base',
    ]);
    expect(encodingsToPreload([{ type: 'openai' }]).sort()).toEqual(['cl100k_base', 'o200k_base']);
    expect(encodingsToPreload([{ type: 'openai-compatible' }]).sort()).toEqual(['cl100k_base', 'o200k_base']);
  });

  it('maps OpenAI families to their encodings, whatever provider serves them, and nothing else', () => {
    for (const id of [
      'gpt-4o',
      'gpt-4o-mini',
      'chatgpt-4o-latest',
      'gpt-4.1-nano',
      'gpt-5',
      'gpt-5-mini',
      'o1',
      'o3-mini',
      'o4-mini',
      'openai/gpt-4o',
    ]) {
      expect(openAiEncodingOf(id), id).toBe('o200k_base');
    }
    for (const id of ['gpt-4', 'gpt-4-turbo', 'gpt-4-0613', 'gpt-3.5-turbo', 'gpt-35-turbo']) {
      expect(openAiEncodingOf(id), id).toBe('cl100k_base');
    }
    for (const id of [
      'claude-sonnet-4-5',
      'anthropic.claude-3-5-sonnet-20241022-v2:0',
      'llama-3.1-8b',
      'mistral',
      'omni',
      'simulated-1',
    ]) {
      expect(openAiEncodingOf(id), id).toBeNull();
    }
  });

  it('o200k_base: known counts', TIMEOUT, async () => {
    const counter = await tiktokenCounter('o200k_base');
    expect(counter.encoding).toBe('o200k_base');
    expect(counter.count('')).toBe(0);
    expect(counter.count('Hello, world!')).toBe(4);
    expect(counter.count('The quick brown fox jumps over the lazy dog.')).toBe(10);
    expect(counter.count('こんにちは世界')).toBe(2);
    // A special-token marker in user text is plain text: counted, never an error or a control token.
    expect(counter.count('<|endoftext|> hi')).toBe(8);
  });

  it('cl100k_base: known counts, different from o200k where the vocabularies differ', TIMEOUT, async () => {
    const counter = await tiktokenCounter('cl100k_base');
    expect(counter.count('Hello, world!')).toBe(4);
    expect(counter.count('The quick brown fox jumps over the lazy dog.')).toBe(10);
    expect(counter.count('こんにちは世界')).toBe(4);
    expect(counter.count('Die Größe der Straße überrascht viele Besucher; später öffnen die Geschäfte wieder.')).toBe(
      23,
    );
  });

  it(
    'picks the tokenizer for OpenAI models and the estimate for the rest, loading each encoding once',
    TIMEOUT,
    async () => {
      const first = await tokenCounterFor({ provider: 'openai.responses', modelId: 'gpt-4o-mini' });
      const second = await tokenCounterFor({ provider: 'gateway.chat', modelId: 'gpt-5' });
      expect([first.encoding, second.encoding]).toEqual(['o200k_base', 'o200k_base']);
      expect((await tokenCounterFor({ provider: 'openai.chat', modelId: 'gpt-4' })).encoding).toBe('cl100k_base');
      expect(await tokenCounterFor({ provider: 'anthropic.messages', modelId: 'claude-sonnet-4-5' })).toBe(
        ESTIMATE_COUNTER,
      );
      expect(await tokenCounterFor({ provider: 'amazon-bedrock', modelId: 'anthropic.claude-3-haiku' })).toBe(
        ESTIMATE_COUNTER,
      );
      // The simulated model is counted by the estimate even if someone names it after an OpenAI model.
      expect(await tokenCounterFor({ provider: 'simulated', modelId: 'gpt-4o' })).toBe(ESTIMATE_COUNTER);
    },
  );

  it(
    'the estimate errs high on prose, code, JSON, numbers and other scripts, measured against both encodings',
    TIMEOUT,
    async () => {
      const encodings = [await tiktokenCounter('o200k_base'), await tiktokenCounter('cl100k_base')];
      const samples = [
        'The quick brown fox jumps over the lazy dog. Enclave is a multi-tenant agent server that keeps every conversation durable.',
        'export function add(a: number, b: number): number {\n  return a + b; // sum\n}\nconst xs = [1, 2, 3].map((x) => x * 2);',
        '{"tenant_id":"acme","history":[{"message":"Hello","response":"Agent response"}],"has_more":false}',
        'Die Größe der Straße überrascht viele Besucher; später öffnen die Geschäfte wieder.',
        '東京は日本の首都です。今日はとても良い天気ですね。',
        '3.14159265358979 2718281828 1234567890 0.000001 42',
        'https://example.com/api/v1/sessions?limit=20&order=desc#frag',
        "Agent response to 'message number 0042' with context: message number 0039 message number 0040",
      ];
      for (const sample of samples) {
        for (const exact of encodings) {
          const ratio = ESTIMATE_COUNTER.count(sample) / exact.count(sample);
          expect(ratio, `${exact.encoding}: ${sample.slice(0, 30)}`).toBeGreaterThanOrEqual(0.95);
          expect(ratio, `${exact.encoding}: ${sample.slice(0, 30)}`).toBeLessThanOrEqual(2);
        }
      }
    },
  );
});
