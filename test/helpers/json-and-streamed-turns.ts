import { expect } from 'vitest';

interface TurnRequest {
  /** The message text (the JSON turn's `message`, the streamed turn's `content`). */
  text: string;
  /** Sent as `X-Request-Id`, so logs and spans can be told apart by request. */
  requestId: string;
}

/**
 * Runs one JSON turn (`POST /agent/interact`) and one streamed turn (SSE, on a new session) for
 * `tenantId` on a real server with auth disabled, and checks that both completed: what the
 * telemetry tests then look for in the logs and spans.
 */
export async function runJsonAndStreamedTurns(
  baseUrl: string,
  options: { tenantId: string; json: TurnRequest; streamed: TurnRequest },
): Promise<void> {
  const interact = await fetch(`${baseUrl}/agent/interact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': options.json.requestId },
    body: JSON.stringify({ tenant_id: options.tenantId, message: options.json.text }),
  });
  expect(interact.status).toBe(200);
  const session = await fetch(`${baseUrl}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'tenant-id': options.tenantId },
    body: '{}',
  });
  const { id } = (await session.json()) as { id: string };
  const stream = await fetch(`${baseUrl}/v1/sessions/${id}/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'tenant-id': options.tenantId,
      'x-request-id': options.streamed.requestId,
    },
    body: JSON.stringify({ content: options.streamed.text }),
  });
  expect(await stream.text()).toContain('event: turn-end');
}
