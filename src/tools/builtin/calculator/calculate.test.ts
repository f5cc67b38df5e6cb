import { describe, expect, it } from 'vitest';
import { calculate } from './calculate.ts';
import { CalculatorError } from './calculator-error.ts';
import { createCalculatorTool } from './calculator-tool.ts';

describe('calculate', () => {
  it.each([
    ['2*(3+4)', 14],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['2 ^ 3 ^ 2', 512],
    ['(2 ^ 3) ^ 2', 64],
    ['-2 ^ 2', -4],
    ['(-2) ^ 2', 4],
    ['2 ^ -1', 0.5],
    ['--3', 3],
    ['3 - -3', 6],
    ['2 * -3', -6],
    ['1.5e3 + .5 + 2.', 1502.5],
    ['1E-2', 0.01],
    ['sqrt(16) + abs(-2)', 6],
    ['min(3, 1, 2) + max(4, 9)', 10],
    ['round(2.5) + floor(-1.5) + ceil(1.2)', 3],
    ['ln(e) + log10(1000)', 4],
    ['sin(0) + cos(0) + tan(0)', 1],
    ['pi', Math.PI],
    [' \t2\n*\r3 ', 6],
  ])('%s = %d', (expression, expected) => {
    expect(calculate(expression)).toBeCloseTo(expected, 12);
  });

  it.each([
    ['1 / 0', 'Division by zero'],
    ['5 % (2 - 2)', 'Remainder of division by zero'],
    ['10 ^ 400', 'overflows'],
    ['1e999', 'too large'],
    ['sqrt(-1)', 'not a number'],
    ['ln(0)', 'overflows'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['2 +', 'end of the expression'],
    ['(1 + 2', "Expected ')'"],
    ['1 + 2)', "Unexpected ')'"],
    ['2 pi', "Unexpected 'pi'"],
    ['foo(1)', "Unknown name 'foo'"],
    ['PI', "Unknown name 'PI'"],
    ['constructor', "Unknown name 'constructor'"],
    ['sqrt(1, 2)', 'takes 1 argument, not 2'],
    ['min()', "Unexpected ')'"],
    ['1 $ 2', "Unexpected character '$' at position 3"],
    ['+1', "Unexpected '+'"],
    ['process.exit()', "Unexpected character '.'"],
  ])('%s is a CalculatorError (%s)', (expression, message) => {
    expect(() => calculate(expression)).toThrow(CalculatorError);
    expect(() => calculate(expression)).toThrow(message);
  });

  it('limits length and nesting', () => {
    expect(calculate(`${'1+'.repeat(249)}1`)).toBe(250);
    expect(() => calculate(`${'1+'.repeat(250)}1`)).toThrow('longer than 500 characters');
    expect(calculate(`${'('.repeat(64)}1${')'.repeat(64)}`)).toBe(1);
    expect(() => calculate(`${'('.repeat(65)}1${')'.repeat(65)}`)).toThrow('nested more than 64 levels');
    expect(() => calculate(`${'-'.repeat(65)}1`)).toThrow('nested more than 64 levels');
    expect(() => calculate(`${'2^'.repeat(65)}1`)).toThrow('nested more than 64 levels');
    expect(() => calculate(`${'abs('.repeat(65)}1${')'.repeat(65)}`)).toThrow('nested more than 64 levels');
  });

  it('rejects input that is not a string', () => {
    for (const input of [undefined, null, 42, {}, ['1']]) expect(() => calculate(input)).toThrow(CalculatorError);
  });
});

describe('calculator tool', () => {
  const execute = (input: unknown) =>
    createCalculatorTool().execute?.(input as { expression: string }, {
      toolCallId: 'call_1',
      messages: [],
      context: {},
    });

  it('returns the result rounded to 15 significant digits', async () => {
    expect(await execute({ expression: '2*(3+4)' })).toBe(14);
    expect(await execute({ expression: '0.1 + 0.2' })).toBe(0.3);
  });

  it('rejects with CalculatorError for a bad expression or input', async () => {
    await expect(execute({ expression: '1/0' })).rejects.toThrow(CalculatorError);
    await expect(execute({})).rejects.toThrow(CalculatorError);
    await expect(execute(null)).rejects.toThrow(CalculatorError);
  });
});
