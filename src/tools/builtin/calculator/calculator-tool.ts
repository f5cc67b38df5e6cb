import { jsonSchema, tool } from 'ai';
import { calculate, MAX_EXPRESSION_CHARS } from './calculate.ts';
import { CalculatorError } from './calculator-error.ts';

/** Significant digits kept in a result, so 0.1 + 0.2 answers 0.3 as a calculator would. */
const RESULT_DIGITS = 15;

const INPUT = jsonSchema<{ expression: string }>({
  type: 'object',
  properties: {
    expression: {
      type: 'string',
      maxLength: MAX_EXPRESSION_CHARS,
      description: 'For example "2 * (3 + 4)" or "sqrt(2) ^ 2 / max(1, 4)"',
    },
  },
  required: ['expression'],
  additionalProperties: false,
});

/**
 * Built-in tool: evaluates an arithmetic expression with a hand-written parser (never `eval`).
 * A bad expression, division by zero or overflow is the tool's error result, which the model sees.
 */
export function createCalculatorTool() {
  return tool({
    description:
      'Evaluates an arithmetic expression and returns the number. Operators: + - * / % (remainder) ^ (power), ' +
      'unary minus, parentheses. Functions: sqrt, abs, min, max, round, floor, ceil, ln, log10, sin, cos, tan ' +
      '(radians). Constants: pi, e.',
    inputSchema: INPUT,
    // The SDK does not check input against a plain JSON schema, so `calculate` takes unknown input.
    execute: async (input: unknown) => {
      if (typeof input !== 'object' || input === null) throw new CalculatorError('Expected {"expression": "..."}');
      const value = calculate((input as { expression?: unknown }).expression);
      return Number(value.toPrecision(RESULT_DIGITS));
    },
  });
}
