import { ProtocolError, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { mcpResultText } from './mcp-result-text.ts';
import { mcpFailure } from './mcp-session.ts';

describe('mcpFailure', () => {
  it('maps each way a session can fail to one documented code', () => {
    const code = (error: unknown, timedOut = false) => mcpFailure('s', error, timedOut).code;
    expect(code(new Error('x'), true)).toBe('MCP_TIMEOUT');
    expect(code(new SdkError(SdkErrorCode.RequestTimeout, 'late'))).toBe('MCP_TIMEOUT');
    expect(code(new TypeError('fetch failed', { cause: new AppError('OUTBOUND_RESPONSE_TOO_LARGE') }))).toBe(
      'MCP_RESULT_TOO_LARGE',
    );
    expect(code(new TypeError('fetch failed', { cause: new AppError('OUTBOUND_BLOCKED') }))).toBe('OUTBOUND_BLOCKED');
    expect(code(new AppError('OUTBOUND_TIMEOUT'))).toBe('MCP_TIMEOUT');
    expect(code(new SyntaxError('Unexpected end of JSON input'))).toBe('MCP_PROTOCOL_ERROR');
    expect(code(new ProtocolError(-32601, 'Method not found'))).toBe('MCP_SERVER_UNAVAILABLE');
    expect(code(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }))).toBe('MCP_SERVER_UNAVAILABLE');
  });

  it('keeps the server’s own words short', () => {
    const failure = mcpFailure('s', new ProtocolError(-32000, 'x'.repeat(5_000)), false);
    expect(failure.message.length).toBeLessThan(400);
  });
});

describe('mcpResultText', () => {
  it('joins text blocks, and shows other blocks as short placeholders', () => {
    expect(
      mcpResultText({
        content: [
          { type: 'text', text: 'one' },
          { type: 'image', data: 'AAAA', mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'file:///a', text: 'inline' } },
          { type: 'resource_link', uri: 'file:///b' },
        ],
      }),
    ).toBe('one\n[image image/png]\ninline\n[resource file:///b]');
  });

  it('falls back to structured content when there is no text', () => {
    expect(mcpResultText({ content: [], structuredContent: { sum: 3 } })).toBe('{"sum":3}');
  });
});
