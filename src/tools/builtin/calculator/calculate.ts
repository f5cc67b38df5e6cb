import { CalculatorError } from './calculator-error.ts';
import { evaluateExpression } from './evaluate-expression.ts';
import { parseExpression } from './parse-expression.ts';

/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_CHARS = 500;

/**
 * Evaluates an arithmetic expression without `eval`: tokenize, parse, walk the tree. Returns a
 * finite number or throws `CalculatorError` (and nothing else) for any input.
 */
export function calculate(source: unknown): number {
  if (typeof source !== 'string') throw new CalculatorError('The expression must be a string');
  if (source.length > MAX_EXPRESSION_CHARS) {
    throw new CalculatorError(`The expression is longer than ${MAX_EXPRESSION_CHARS} characters`);
  }
  return evaluateExpression(parseExpression(source));
}
