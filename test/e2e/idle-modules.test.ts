import { describe, expect, it } from 'vitest';
import { probeIdleServer } from '../helpers/probe-idle-server.ts';

/** What most deployments never use: loaded only when configured (docs/operations.md, "Idle memory"). */
const OPTIONAL_PACKAGES = [
  '@ai-sdk/openai',
  '@ai-sdk/openai-compatible',
  '@ai-sdk/anthropic',
  '@ai-sdk/amazon-bedrock',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-http',
  'ioredis',
  'pg',
  'undici',
  '@scalar/fastify-api-reference',
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/client',
];

/** The optional services' variables, unset (a developer's shell may hold them). */
const UNSET = { REDIS_URL: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, ENCLAVE_PROVIDERS_FILE: undefined };

describe('idle embedded default', () => {
  it('`serve` on SQLite with the simulated model loads no vendor SDK, OpenTelemetry SDK, ioredis, pg, undici, Scalar or MCP SDK', async () => {
    const report = await probeIdleServer({ ...UNSET, ENCLAVE_PROVIDERS: undefined }, 0);
    expect(report.packages).toContain('fastify');
    expect(report.packages.filter((name) => OPTIONAL_PACKAGES.includes(name))).toEqual([]);
  }, 60_000);

  it('a declared provider type loads its SDK and the provider fetch, and no other vendor SDK', async () => {
    const report = await probeIdleServer(
      {
        ENCLAVE_PROVIDERS: JSON.stringify([
          { id: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', models: ['local-model'] },
        ]),
        ...UNSET,
      },
      0,
    );
    expect(report.packages).toContain('@ai-sdk/openai-compatible');
    expect(report.packages).toContain('undici');
    expect(report.packages).not.toContain('@ai-sdk/openai');
    expect(report.packages).not.toContain('@ai-sdk/anthropic');
    expect(report.packages).not.toContain('@ai-sdk/amazon-bedrock');
  }, 60_000);
});
