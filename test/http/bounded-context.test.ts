import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ CONTEXT_BUDGET_TOKENS: '400' });
});
afterAll(async () => {
  await t.dispose();
});

// Latency is measured by `npm run bench` (never in tests); here we check the cause of a flat
// latency: response size and the context handed to the model stop growing with the history.
describe('bounded context', () => {
  it('over 300 turns on one tenant, response size and context size plateau', async () => {
    const sizes: number[] = [];
    for (let turn = 0; turn < 300; turn++) {
      const message = `message number ${String(turn).padStart(4, '0')}`;
      const response = await t.app.inject({
        method: 'POST',
        url: '/agent/interact',
        payload: { tenant_id: 'long', message },
      });
      expect(response.statusCode).toBe(200);
      sizes.push(response.body.length);
    }
    const late = sizes.slice(200);
    const middle = sizes.slice(100, 200);
    expect(Math.max(...late)).toBe(Math.max(...middle));
    expect(Math.min(...late)).toBe(Math.min(...middle));
    expect(Math.max(...sizes)).toBeLessThan(1_000);

    const messages = (
      await t.app.inject({
        method: 'GET',
        url: '/v1/sessions/ses_legacy/messages?order=desc&limit=500',
        headers: { 'tenant-id': 'long' },
      })
    ).json();
    const inputs = messages.data
      .filter((message: { final: boolean }) => message.final)
      .map((message: { usage: { input_tokens: number } }) => message.usage.input_tokens);
    expect(inputs).toHaveLength(250);
    expect(Math.max(...inputs)).toBeLessThanOrEqual(400);
    expect(new Set(inputs.slice(0, 100)).size).toBe(1);
  });

  it('keeps the original prefix while quoting earlier turns', async () => {
    const history = (await t.app.inject({ method: 'GET', url: '/agent/history/long?limit=1' })).json();
    expect(history.history[0].response).toMatch(
      /^Agent response to 'message number 0299' with context: .*message number 0298$/,
    );
  });
});
