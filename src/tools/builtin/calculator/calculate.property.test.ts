import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calculate } from './calculate.ts';
import { CalculatorError } from './calculator-error.ts';
import type { BinaryOperator, Expression, FunctionName } from './parse-expression.ts';

const ONE_ARGUMENT: FunctionName[] = ['sqrt', 'abs', 'round', 'floor', 'ceil', 'ln', 'log10', 'sin', 'cos', 'tan'];

const expressions = fc.letrec<{ node: Expression }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.integer({ min: 0, max: 1000 }).map((value): Expression => ({ type: 'number', value })),
      fc.double({ min: 0, max: 1e6, noNaN: true }).map((value): Expression => ({ type: 'number', value })),
      fc.constantFrom<Expression>({ type: 'constant', name: 'pi' }, { type: 'constant', name: 'e' }),
    ),
    tie('node').map((operand): Expression => ({ type: 'negate', operand })),
    fc
      .record({
        operator: fc.constantFrom<BinaryOperator>('+', '-', '*', '/', '%', '^'),
        left: tie('node'),
        right: tie('node'),
      })
      .map((node): Expression => ({ type: 'binary', ...node })),
    fc
      .record({ name: fc.constantFrom(...ONE_ARGUMENT), arg: tie('node') })
      .map(({ name, arg }): Expression => ({ type: 'call', name, args: [arg] })),
    fc
      .record({
        name: fc.constantFrom<FunctionName>('min', 'max'),
        args: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      })
      .map((node): Expression => ({ type: 'call', ...node })),
  ),
})).node;

/** The same arithmetic computed directly in JavaScript; null where the calculator must refuse. */
function direct(node: Expression): number | null {
  const checked = (value: number) => (Number.isFinite(value) ? value : null);
  switch (node.type) {
    case 'number':
      return node.value;
    case 'constant':
      return node.name === 'pi' ? Math.PI : Math.E;
    case 'negate': {
      const operand = direct(node.operand);
      return operand === null ? null : -operand;
    }
    case 'binary': {
      const left = direct(node.left);
      const right = direct(node.right);
      if (left === null || right === null) return null;
      if ((node.operator === '/' || node.operator === '%') && right === 0) return null;
      const compute = {
        '+': () => left + right,
        '-': () => left - right,
        '*': () => left * right,
        '/': () => left / right,
        '%': () => left % right,
        '^': () => left ** right,
      }[node.operator];
      return checked(compute());
    }
    case 'call': {
      const args = node.args.map(direct);
      if (args.some((arg) => arg === null)) return null;
      const values = args as number[];
      const functions: Record<FunctionName, (...values: number[]) => number> = {
        sqrt: Math.sqrt,
        abs: Math.abs,
        round: Math.round,
        floor: Math.floor,
        ceil: Math.ceil,
        ln: Math.log,
        log10: Math.log10,
        sin: Math.sin,
        cos: Math.cos,
        tan: Math.tan,
        min: Math.min,
        max: Math.max,
      };
      return checked(functions[node.name](...values));
    }
  }
}

/** Every operation in parentheses. */
function printFull(node: Expression): string {
  switch (node.type) {
    case 'number':
      return String(node.value);
    case 'constant':
      return node.name;
    case 'negate':
      return `(-${printFull(node.operand)})`;
    case 'binary':
      return `(${printFull(node.left)} ${node.operator} ${printFull(node.right)})`;
    case 'call':
      return `${node.name}(${node.args.map(printFull).join(', ')})`;
  }
}

const PRECEDENCE: Record<BinaryOperator, number> = { '+': 1, '-': 1, '*': 2, '/': 2, '%': 2, '^': 4 };
const precedence = (node: Expression) =>
  node.type === 'binary' ? PRECEDENCE[node.operator] : node.type === 'negate' ? 3 : 5;

/** Only the parentheses that precedence and associativity require, so the parser's rules are what is tested. */
function printMinimal(node: Expression): string {
  const wrap = (child: Expression, needed: boolean) => (needed ? `(${printMinimal(child)})` : printMinimal(child));
  switch (node.type) {
    case 'number':
    case 'constant':
    case 'call':
      return node.type === 'call' ? `${node.name}(${node.args.map(printMinimal).join(', ')})` : printFull(node);
    case 'negate':
      return `-${wrap(node.operand, precedence(node.operand) < 3)}`;
    case 'binary': {
      const own = PRECEDENCE[node.operator];
      if (node.operator === '^') {
        // Right-associative, and its right side may be a unary minus: 2 ^ -1, 2 ^ 3 ^ 2.
        return `${wrap(node.left, precedence(node.left) <= 4)} ^ ${wrap(node.right, precedence(node.right) < 3)}`;
      }
      return `${wrap(node.left, precedence(node.left) < own)} ${node.operator} ${wrap(node.right, precedence(node.right) <= own)}`;
    }
  }
}

function outcome(source: string): number | 'error' {
  try {
    return calculate(source);
  } catch (error) {
    if (error instanceof CalculatorError) return 'error';
    throw error;
  }
}

describe('calculate (properties)', () => {
  it('evaluating a printed random expression equals computing it directly', () => {
    fc.assert(
      fc.property(expressions, (node) => {
        const full = printFull(node);
        const minimal = printMinimal(node);
        fc.pre(full.length <= 500);
        const expected = direct(node);
        expect(outcome(full)).toBe(expected ?? 'error');
        expect(outcome(minimal)).toBe(expected ?? 'error');
      }),
      { numRuns: 2000 },
    );
  });

  it('any string either evaluates to a finite number or throws CalculatorError, nothing else', () => {
    const pieces = fc.constantFrom(
      ...'0123456789.eE+-*/%^(), '.split(''),
      'pi',
      'sqrt',
      'min',
      'max',
      'ln',
      'x',
      '1e308',
      '__proto__',
      'constructor',
      'toString',
    );
    const inputs = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.array(pieces, { maxLength: 120 }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(inputs, (source) => {
        const result = outcome(source);
        if (result !== 'error') expect(Number.isFinite(result)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
