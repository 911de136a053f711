import { InvalidArgumentError, type ArgumentErrorDetails } from './invalid-argument-error';

/** A tensor or array of the wrong element type (float where ids are needed, and so on). */
export class DTypeError extends InvalidArgumentError {
  constructor(details: ArgumentErrorDetails) {
    super(details, 'DTYPE');
    this.name = 'DTypeError';
  }
}
