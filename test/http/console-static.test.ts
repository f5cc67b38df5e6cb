import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/console/assets/index-AbCd1234.js"></script></head><body></body></html>';
let built: TestApp;
let unbuilt: TestApp;
let base: string;
let dist: string;

async function get(app: TestApp, url: string, method: 'GET' | 'HEAD' = 'GET') {
  return app.app.inject({ method, url });
}

function expectConsoleHeaders(headers: Record<string, unknown>) {
  const csp = String(headers['content-security-policy']);
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ]) {
    expect(csp).toContain(directive);
  }
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain('unsafe-eval');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
}

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'enclave-console-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-AbCd1234.js'), 'console.log("console");');
  writeFileSync(join(dist, 'assets', 'index-AbCd1234.css'), 'body{margin:0}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.secret'), 'hidden');
  built = await createTestApp({ ENCLAVE_AUTH: 'required', CONSOLE_DIR: dist });
  unbuilt = await createTestApp({ ENCLAVE_AUTH: 'required', CONSOLE_DIR: join(dist, 'missing') });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await built.dispose();
  await unbuilt.dispose();
  rmSync(dist, { recursive: true, force: true });
});

describe('the console pages', () => {
  it('serves index.html at /console and for every app route (SPA fallback), never cached', async () => {
    for (const url of ['/console', '/console/', '/console/sessions', '/console/agents/a1/versions', '/console?x=1']) {
      const response = await get(built, url);
      expect([response.statusCode, response.body], url).toEqual([200, INDEX]);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expectConsoleHeaders(response.headers);
    }
  });

  it('serves hashed assets with a long cache and the right type; other files are revalidated', async () => {
    const script = await get(built, '/console/assets/index-AbCd1234.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectConsoleHeaders(script.headers);
    const style = await get(built, '/console/assets/index-AbCd1234.css');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    const icon = await get(built, '/console/favicon.svg');
    expect([icon.statusCode, icon.headers['content-type'], icon.headers['cache-control']]).toEqual([
      200,
      'image/svg+xml',
      'no-cache',
    ]);
    const head = await get(built, '/console/assets/index-AbCd1234.js', 'HEAD');
    expect(head.statusCode).toBe(200);
  });

  it('answers a missing file, an unknown console API route and a path escape with 404 problem+json', async () => {
    for (const url of [
      '/console/assets/missing-AbCd1234.js',
      '/console/api/nothing',
      '/console/.secret',
      '/console/..%2f..%2fpackage.json',
    ]) {
      const response = await get(built, url);
      expect([response.statusCode, response.body.slice(0, 1)], url).toEqual([404, '{']);
      expect(response.json().code, url).toBe('ROUTE_NOT_FOUND');
      expect(response.headers['content-type']).toContain('application/problem+json');
      expectConsoleHeaders(response.headers);
    }
  });

  it('the same over a real connection: raw dot segments never leave the folder', async () => {
    const response = await fetch(`${base}/console/assets/index-AbCd1234.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/console']);
  });

  it('without a build, /console says how to build it', async () => {
    for (const url of ['/console', '/console/sessions']) {
      const response = await get(unbuilt, url);
      expect([response.statusCode, response.json().code], url).toEqual([503, 'CONSOLE_NOT_BUILT']);
      expect(response.json().detail).toContain('npm run build:console');
      expectConsoleHeaders(response.headers);
    }
  });

  it('the sign-in API carries the console headers too', async () => {
    const response = await get(built, '/console/api/session');
    expect(response.statusCode).toBe(401);
    expectConsoleHeaders(response.headers);
  });
});
