import { jsonSchema, type Tool, type ToolExecutionOptions, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { CalculatorError } from './builtin/calculator/calculator-error.ts';
import { limitTool, ToolTimeoutError, truncateOutput } from './limit-tool.ts';
import { createToolRegistry } from './tool-registry.ts';

const ANY = jsonSchema<Record<string, unknown>>({ type: 'object' });
const options = (extra: Partial<ToolExecutionOptions<unknown>> = {}): ToolExecutionOptions<unknown> => ({
  toolCallId: 'call_1',
  messages: [],
  context: {},
  ...extra,
});
const run = (limited: Tool, extra?: Partial<ToolExecutionOptions<unknown>>) =>
  Promise.resolve(limited.execute?.({}, options(extra)));

/** Never finishes on its own; records the abort signal it was given. */
function hangingTool(seen: { signal?: AbortSignal }) {
  return tool({
    inputSchema: ANY,
    execute: (_input, { abortSignal }) => {
      seen.signal = abortSignal;
      return new Promise<string>(() => {});
    },
  });
}

describe('limitTool', () => {
  it('fails a call that outlives the timeout with ToolTimeoutError, and aborts its signal', async () => {
    const seen: { signal?: AbortSignal } = {};
    const limited = limitTool('slow', hangingTool(seen), { timeoutMs: 20, outputMaxChars: 1000 });
    const error = await run(limited).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ToolTimeoutError);
    expect((error as Error).message).toBe("Tool 'slow' did not finish within 20 ms");
    expect(seen.signal?.aborted).toBe(true);
  });

  it("ends at once with the turn's abort reason when the turn is cancelled", async () => {
    const seen: { signal?: AbortSignal } = {};
    const limited = limitTool('slow', hangingTool(seen), { timeoutMs: 60_000, outputMaxChars: 1000 });
    const turn = new AbortController();
    const pending = run(limited, { abortSignal: turn.signal });
    turn.abort(new Error('client disconnected'));
    await expect(pending).rejects.toThrow('client disconnected');
    expect(seen.signal?.aborted).toBe(true);
  });

  it('passes results and errors within the limits through unchanged', async () => {
    const echo = tool({ inputSchema: ANY, execute: async () => ({ answer: 42 }) });
    expect(await run(limitTool('echo', echo, { timeoutMs: 1000, outputMaxChars: 100 }))).toEqual({ answer: 42 });
    const failing = tool({
      inputSchema: ANY,
      execute: async (): Promise<string> => {
        throw new CalculatorError('Division by zero');
      },
    });
    await expect(run(limitTool('f', failing, { timeoutMs: 1000, outputMaxChars: 100 }))).rejects.toBeInstanceOf(
      CalculatorError,
    );
  });

  it('cuts long text, JSON and error messages to the cap, with a marker', async () => {
    const limits = { timeoutMs: 1000, outputMaxChars: 200 };
    const text = await run(limitTool('t', tool({ inputSchema: ANY, execute: async () => 'x'.repeat(5000) }), limits));
    expect(text).toMatch(/^x+… \[output truncated: \d+ of 5000 characters shown\]$/);
    expect((text as string).length).toBeLessThanOrEqual(200);

    const json = await run(
      limitTool('j', tool({ inputSchema: ANY, execute: async () => ({ rows: Array(1000).fill('row') }) }), limits),
    );
    expect(json).toMatch(/^\{"rows":\["row".*… \[output truncated: \d+ of \d+ characters shown\]$/);

    const loud = tool({
      inputSchema: ANY,
      execute: async (): Promise<string> => {
        throw new Error('e'.repeat(1000));
      },
    });
    const error = (await run(limitTool('l', loud, limits)).catch((caught: unknown) => caught)) as Error;
    expect(error.message.length).toBeLessThanOrEqual(200);
    expect(error.message).toContain('[output truncated:');
  });

  it("takes a streaming tool's last value", async () => {
    const streaming = tool({
      inputSchema: ANY,
      async *execute() {
        yield 'working';
        yield 'done';
      },
    });
    expect(await run(limitTool('s', streaming, { timeoutMs: 1000, outputMaxChars: 100 }))).toBe('done');
  });

  it("gives the model a cut output as text, bypassing the tool's own toModelOutput", async () => {
    const custom = tool({
      inputSchema: ANY,
      execute: async (input: Record<string, unknown>) => ('big' in input ? 'y'.repeat(500) : 'small'),
      toModelOutput: ({ output }) => ({ type: 'json', value: { wrapped: output } }),
    });
    const limited = limitTool('c', custom, { timeoutMs: 1000, outputMaxChars: 100 });
    const small = await limited.execute?.({}, options({ toolCallId: 'a' }));
    expect(await limited.toModelOutput?.({ toolCallId: 'a', input: {}, output: small })).toEqual({
      type: 'json',
      value: { wrapped: 'small' },
    });
    const big = await limited.execute?.({ big: true }, options({ toolCallId: 'b' }));
    expect(await limited.toModelOutput?.({ toolCallId: 'b', input: {}, output: big })).toEqual({
      type: 'text',
      value: big,
    });
  });
});

describe('truncateOutput', () => {
  it('keeps short text, and never splits a surrogate pair', () => {
    expect(truncateOutput('short', 100)).toBe('short');
    for (let max = 60; max < 70; max++) {
      const cut = truncateOutput('😀'.repeat(100), max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut.isWellFormed()).toBe(true);
    }
  });
});

describe('createToolRegistry', () => {
  it('registers current_time and calculator, selects only own names, and wraps extra tools too', async () => {
    const seen: { signal?: AbortSignal } = {};
    const registry = createToolRegistry({ timeoutMs: 20, tools: { slow: hangingTool(seen) } });
    expect(registry.names()).toEqual(['current_time', 'calculator', 'slow']);
    expect(Object.keys(registry.select(['calculator', 'nope', 'constructor', '__proto__']))).toEqual(['calculator']);
    const slow = registry.select(['slow']).slow as Tool;
    await expect(run(slow)).rejects.toBeInstanceOf(ToolTimeoutError);
    expect(() => createToolRegistry({ tools: { calculator: hangingTool(seen) } })).toThrow('already registered');
  });
});
