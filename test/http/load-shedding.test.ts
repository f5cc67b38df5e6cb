import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'o'.repeat(40)}`;
const admin = { authorization: `Bearer ${ADMIN}` };

/** Blocks the event loop, as a CPU-bound request would. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

let t: TestApp;
beforeAll(async () => {
  // A 1 ms limit: a loop that is repeatedly blocked for 50 ms is far past it at the next sample.
  t = await createTestApp({
    ENCLAVE_AUTH: 'required',
    ENCLAVE_ADMIN_KEY: ADMIN,
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '1',
  });
});
afterAll(async () => {
  await t.dispose();
});

const shedRequest = () => t.app.inject({ method: 'GET', url: '/v1/sessions', headers: admin });

describe('load shedding', () => {
  it('answers 503 OVERLOADED with Retry-After while the event loop is saturated, but never for health, readiness or metrics', async () => {
    let checked = false;
    // Keep the loop blocked until requests are shed (the sampler has seen the lag and the start-up
    // grace is over), then check the exempt routes while the pressure lasts.
    for (let attempt = 0; attempt < 500 && !checked; attempt++) {
      busyWait(50);
      await sleep(1);
      if (!t.app.isUnderPressure()) continue;
      const shed = await shedRequest();
      if (shed.statusCode !== 503) continue;
      const healthz = await t.app.inject({ method: 'GET', url: '/healthz' });
      const readyz = await t.app.inject({ method: 'GET', url: '/readyz' });
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
      if (!t.app.isUnderPressure()) continue;
      checked = true;
      expect(shed.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(shed.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
      expect(shed.json()).toMatchObject({ code: 'OVERLOADED', status: 503, request_id: expect.any(String) });
      expect(healthz.statusCode).toBe(200);
      expect(readyz.statusCode).toBe(200);
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toMatch(/enclave_limit_rejections_total\{code="OVERLOADED"\} [1-9]/);
    }
    expect(checked).toBe(true);
  });

  it('is off with OVERLOAD_MAX_EVENT_LOOP_DELAY_MS=0', async () => {
    const off = await createTestApp({ OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
    try {
      expect(off.app.hasDecorator('isUnderPressure')).toBe(false);
      expect((await off.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await off.dispose();
    }
  });
});
