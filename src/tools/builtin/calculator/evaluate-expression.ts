import { CalculatorError } from './calculator-error.ts';
import type { BinaryOperator, Expression, FunctionName } from './parse-expression.ts';

const APPLY: Record<FunctionName, (...args: number[]) => number> = {
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

function binary(operator: BinaryOperator, left: number, right: number): number {
  switch (operator) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      if (right === 0) throw new CalculatorError('Division by zero');
      return left / right;
    case '%':
      if (right === 0) throw new CalculatorError('Remainder of division by zero');
      return left % right;
    case '^':
      return left ** right;
  }
}

/** Passes a finite value through; `what` names the operation only when it is not. */
function finite(value: number, what: () => string): number {
  if (Number.isFinite(value)) return value;
  throw new CalculatorError(Number.isNaN(value) ? `${what()} is not a number` : `${what()} overflows`);
}

/** Evaluates a parsed expression. Every intermediate value must be finite, or it throws `CalculatorError`. */
export function evaluateExpression(expression: Expression): number {
  switch (expression.type) {
    case 'number':
      return expression.value;
    case 'constant':
      return expression.name === 'pi' ? Math.PI : Math.E;
    case 'negate':
      return -evaluateExpression(expression.operand);
    case 'binary': {
      const left = evaluateExpression(expression.left);
      const right = evaluateExpression(expression.right);
      return finite(binary(expression.operator, left, right), () => `The result of '${expression.operator}'`);
    }
    case 'call':
      return finite(APPLY[expression.name](...expression.args.map(evaluateExpression)), () => `${expression.name}()`);
  }
}
