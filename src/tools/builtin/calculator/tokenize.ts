import { CalculatorError } from './calculator-error.ts';

export type OperatorSymbol = '+' | '-' | '*' | '/' | '%' | '^' | '(' | ')' | ',';

/** `position` is the 1-based column where the token starts, for error messages. */
export type Token =
  | { type: 'number'; value: number; position: number }
  | { type: 'name'; value: string; position: number }
  | { type: 'operator'; value: OperatorSymbol; position: number };

const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const OPERATORS = '+-*/%^(),';

/** Splits an expression into numbers, names and operators; whitespace separates and is dropped. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < source.length) {
    const char = source.charAt(position);
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      position++;
      continue;
    }
    NUMBER.lastIndex = position;
    const number = NUMBER.exec(source);
    if (number) {
      const value = Number(number[0]);
      if (!Number.isFinite(value)) throw new CalculatorError(`Number ${number[0]} is too large`);
      tokens.push({ type: 'number', value, position: position + 1 });
      position += number[0].length;
      continue;
    }
    NAME.lastIndex = position;
    const name = NAME.exec(source);
    if (name) {
      tokens.push({ type: 'name', value: name[0], position: position + 1 });
      position += name[0].length;
      continue;
    }
    if (OPERATORS.includes(char)) {
      tokens.push({ type: 'operator', value: char as OperatorSymbol, position: position + 1 });
      position++;
      continue;
    }
    throw new CalculatorError(`Unexpected character '${char}' at position ${position + 1}`);
  }
  return tokens;
}
