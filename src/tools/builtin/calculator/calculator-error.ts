/**
 * The one error the calculator throws: bad syntax, an unknown name, a limit passed, or a result
 * that is not a finite number. Its message is shown to the model as the tool's error result.
 */
export class CalculatorError extends Error {
  override name = 'CalculatorError';
}
