import { CalculatorError } from './calculator-error.ts';
import { type OperatorSymbol, type Token, tokenize } from './tokenize.ts';

/** Functions the calculator knows, with how many arguments each takes (`min`/`max`: one or more). */
export const FUNCTIONS = {
  sqrt: 1,
  abs: 1,
  round: 1,
  floor: 1,
  ceil: 1,
  ln: 1,
  log10: 1,
  sin: 1,
  cos: 1,
  tan: 1,
  min: 'variadic',
  max: 'variadic',
} as const;

export type FunctionName = keyof typeof FUNCTIONS;
export type ConstantName = 'pi' | 'e';
export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '^';

export type Expression =
  | { type: 'number'; value: number }
  | { type: 'constant'; name: ConstantName }
  | { type: 'negate'; operand: Expression }
  | { type: 'binary'; operator: BinaryOperator; left: Expression; right: Expression }
  | { type: 'call'; name: FunctionName; args: Expression[] };

/** Deepest nesting of parentheses, calls, unary minus and powers an expression may have. */
export const MAX_DEPTH = 64;

const isFunction = (name: string): name is FunctionName => Object.hasOwn(FUNCTIONS, name);

/**
 * Parses by recursive descent, loosest binding first:
 *   expression := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '%') unary)*
 *   unary      := '-' unary | power
 *   power      := primary ('^' unary)?          (right-associative: 2^3^2 = 2^9; -2^2 = -4)
 *   primary    := number | constant | function '(' expression (',' expression)* ')' | '(' expression ')'
 */
export function parseExpression(source: string): Expression {
  const tokens = tokenize(source);
  let index = 0;
  let depth = 0;

  const peek = (): Token | undefined => tokens[index];
  /** Consumes the next token when it is one of these operators. */
  const take = <T extends OperatorSymbol>(...values: T[]): T | null => {
    const token = peek();
    if (token?.type !== 'operator' || !values.includes(token.value as T)) return null;
    index++;
    return token.value as T;
  };
  const describe = (token: Token | undefined) =>
    token ? `'${token.value}' at position ${token.position}` : 'the end of the expression';
  const expect = (value: OperatorSymbol) => {
    if (!take(value)) throw new CalculatorError(`Expected '${value}' but found ${describe(peek())}`);
  };
  const nested = <T>(parse: () => T): T => {
    depth++;
    if (depth > MAX_DEPTH) throw new CalculatorError(`Expression is nested more than ${MAX_DEPTH} levels deep`);
    try {
      return parse();
    } finally {
      depth--;
    }
  };

  function expression(): Expression {
    let left = term();
    for (let operator = take('+', '-'); operator; operator = take('+', '-')) {
      left = { type: 'binary', operator, left, right: term() };
    }
    return left;
  }

  function term(): Expression {
    let left = unary();
    for (let operator = take('*', '/', '%'); operator; operator = take('*', '/', '%')) {
      left = { type: 'binary', operator, left, right: unary() };
    }
    return left;
  }

  function unary(): Expression {
    if (take('-')) {
      return nested(() => ({ type: 'negate', operand: unary() }));
    }
    return power();
  }

  function power(): Expression {
    const base = primary();
    if (!take('^')) return base;
    return nested(() => ({ type: 'binary', operator: '^', left: base, right: unary() }));
  }

  function primary(): Expression {
    const token = peek();
    if (token?.type === 'number') {
      index++;
      return { type: 'number', value: token.value };
    }
    if (token?.type === 'name') {
      index++;
      const name = token.value;
      if (name === 'pi' || name === 'e') return { type: 'constant', name };
      if (!isFunction(name)) throw new CalculatorError(`Unknown name '${name}' at position ${token.position}`);
      return nested(() => call(name, token.position));
    }
    if (take('(')) {
      const inner = nested(expression);
      expect(')');
      return inner;
    }
    throw new CalculatorError(`Unexpected ${describe(token)}`);
  }

  function call(name: FunctionName, position: number): Expression {
    expect('(');
    const args = [expression()];
    while (take(',')) args.push(expression());
    expect(')');
    const arity = FUNCTIONS[name];
    if (arity !== 'variadic' && args.length !== arity) {
      throw new CalculatorError(`${name}() at position ${position} takes ${arity} argument, not ${args.length}`);
    }
    return { type: 'call', name, args };
  }

  if (tokens.length === 0) throw new CalculatorError('The expression is empty');
  const parsed = expression();
  if (index < tokens.length) throw new CalculatorError(`Unexpected ${describe(peek())}`);
  return parsed;
}
