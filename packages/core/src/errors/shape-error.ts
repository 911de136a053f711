import { InvalidArgumentError, type ArgumentErrorDetails } from './invalid-argument-error';

/** A tensor of the wrong rank or size; `received` is usually the shape. */
export class ShapeError extends InvalidArgumentError {
  constructor(details: ArgumentErrorDetails) {
    super(details, 'SHAPE');
    this.name = 'ShapeError';
  }
}
