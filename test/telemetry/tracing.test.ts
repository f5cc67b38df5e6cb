import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJsonAndStreamedTurns } from '../helpers/json-and-streamed-turns.ts';
import { type SpawnedServer, spawnServer } from '../helpers/spawn-server.ts';

/** An OTLP/HTTP JSON attribute value, as the exporter sends it. */
interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
}
interface ExportRequest {
  resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

function plain(value: OtlpValue): unknown {
  if (value.arrayValue) return value.arrayValue.values.map(plain);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.boolValue;
}
const attributes = (span: OtlpSpan) =>
  Object.fromEntries(span.attributes.map(({ key, value }) => [key, plain(value)])) as Record<string, unknown>;

const SERVER = 2;
const CLIENT = 3;

let collector: Server;
const exports: { path: string; contentType: string | undefined; body: string }[] = [];
let server: SpawnedServer;
let dir: string;
let spans: OtlpSpan[] = [];
let resource: Record<string, unknown> = {};

/** Runs one JSON turn and one streamed turn that both call current_time, then stops the server. */
beforeAll(async () => {
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      exports.push({ path: request.url ?? '', contentType: request.headers['content-type'], body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const address = collector.address();
  if (address === null || typeof address === 'string') throw new Error('no collector port');
  dir = mkdtempSync(join(tmpdir(), 'enclave-tracing-'));
  server = await spawnServer({
    DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}`,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${address.port}`,
  });
  await runJsonAndStreamedTurns(server.baseUrl, {
    tenantId: 'traced-tenant',
    json: { text: 'ZEBRAMARKER what is the current_time?', requestId: 'req-json-turn' },
    streamed: { text: 'OKAPIMARKER stream the current_time please', requestId: 'req-sse-turn' },
  });
  // Spans are batched; the graceful shutdown exports what is left before the process exits.
  expect(await server.stop('SIGTERM')).toBe(0);
  const requests = exports.map((entry) => JSON.parse(entry.body) as ExportRequest);
  spans = requests.flatMap((request) =>
    request.resourceSpans.flatMap((entry) => entry.scopeSpans.flatMap((scope) => scope.spans)),
  );
  resource = Object.fromEntries(
    requests[0]?.resourceSpans[0]?.resource.attributes.map(({ key, value }) => [key, plain(value)]) ?? [],
  );
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await new Promise((resolve) => collector.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** The request span with this request id, and the turn, model and tool spans under it. */
function treeOf(requestId: string) {
  const request = spans.find((span) => span.kind === SERVER && attributes(span)['enclave.request_id'] === requestId);
  if (!request) throw new Error(`no request span for ${requestId}`);
  const children = (parent: OtlpSpan) =>
    spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId);
  const turns = children(request);
  const turn = turns[0];
  if (!turn) throw new Error(`no turn span under ${request.name}`);
  const steps = children(turn);
  return {
    request,
    turns,
    turn,
    models: steps.filter((span) => span.name.startsWith('chat ')),
    tools: steps.filter((span) => span.name.startsWith('execute_tool ')),
    steps,
  };
}

describe('OpenTelemetry tracing', () => {
  it('exports OTLP/HTTP JSON to <endpoint>/v1/traces, as service "enclave"', () => {
    expect(exports.length).toBeGreaterThan(0);
    for (const entry of exports) {
      expect(entry.path).toBe('/v1/traces');
      expect(entry.contentType).toMatch(/^application\/json/);
    }
    expect(resource['service.name']).toBe('enclave');
  });

  for (const [kind, requestId, route] of [
    ['a JSON turn', 'req-json-turn', '/agent/interact'],
    ['a streamed turn', 'req-sse-turn', '/v1/sessions/:id/messages'],
  ] as const) {
    it(`traces ${kind} as request → invoke_agent → chat and execute_tool spans`, () => {
      const tree = treeOf(requestId);
      expect(tree.request.name).toBe(`POST ${route}`);
      expect(tree.request.parentSpanId ?? '').toBe('');
      expect(attributes(tree.request)).toMatchObject({
        'http.request.method': 'POST',
        'http.route': route,
        'http.response.status_code': 200,
        'enclave.tenant_id': 'traced-tenant',
      });

      expect(tree.turns.map((span) => span.name)).toEqual(['invoke_agent']);
      expect(attributes(tree.turn)).toMatchObject({
        'gen_ai.operation.name': 'invoke_agent',
        'enclave.tenant_id': 'traced-tenant',
        'enclave.request_id': requestId,
      });
      expect(attributes(tree.turn)['gen_ai.usage.output_tokens']).toBeGreaterThan(0);

      // The model calls current_time, then answers: two model calls and one tool call, all in the turn.
      expect(tree.steps).toHaveLength(3);
      expect(tree.models).toHaveLength(2);
      for (const model of tree.models) {
        expect(model.name).toBe('chat simulated-1');
        expect(model.kind).toBe(CLIENT);
        const modelAttributes = attributes(model);
        expect(modelAttributes).toMatchObject({
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'simulated',
          'gen_ai.system': 'simulated',
          'gen_ai.request.model': 'simulated-1',
          'gen_ai.response.model': 'simulated-1',
          'enclave.tenant_id': 'traced-tenant',
        });
        expect(modelAttributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
        expect(modelAttributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      }
      expect(tree.models.map((span) => attributes(span)['gen_ai.response.finish_reasons']).sort()).toEqual([
        ['stop'],
        ['tool-calls'],
      ]);
      expect(tree.tools).toHaveLength(1);
      const tool = attributes(tree.tools[0] as OtlpSpan);
      expect(tree.tools[0]?.name).toBe('execute_tool current_time');
      expect(tool).toMatchObject({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'current_time',
        'enclave.tenant_id': 'traced-tenant',
      });
      expect(tool['gen_ai.tool.call.id']).toEqual(expect.any(String));
    });
  }

  it('never exports message text', () => {
    const everything = exports.map((entry) => entry.body).join('\n');
    expect(everything).toContain('traced-tenant');
    expect(everything).not.toMatch(/ZEBRAMARKER|OKAPIMARKER/);
  });
});
