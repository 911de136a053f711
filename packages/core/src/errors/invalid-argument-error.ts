import {
  RecurrentError,
  describe,
  type ErrorCode,
  type RecurrentErrorOptions,
} from './recurrent-error';

export interface ArgumentErrorDetails extends RecurrentErrorOptions {
  /** The function or method that refused the argument, e.g. `LSTM.forward`. */
  fn: string;
  /** The argument's name, e.g. `input` or `options.hiddenSize`. */
  argument: string;
  /** What was expected, in words: `a positive integer`, `shape [*, *, 5]`. */
  expected: string;
  /** What was received; formatted with `describe` unless it is already a string message part. */
  received: unknown;
}

/** `${fn}: '${argument}' must be ${expected}, got ${received}`. */
export class InvalidArgumentError extends RecurrentError {
  readonly fn: string;
  readonly argument: string;
  readonly expected: string;
  readonly received: unknown;

  constructor(details: ArgumentErrorDetails, code: ErrorCode = 'INVALID_ARGUMENT') {
    super(
      code,
      `${details.fn}: '${details.argument}' must be ${details.expected}, got ${describe(details.received)}`,
      details,
    );
    this.name = 'InvalidArgumentError';
    this.fn = details.fn;
    this.argument = details.argument;
    this.expected = details.expected;
    this.received = details.received;
  }
}
