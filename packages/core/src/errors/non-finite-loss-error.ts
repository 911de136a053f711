import { RecurrentError, type RecurrentErrorOptions } from './recurrent-error';

/** Training produced a NaN or infinite loss; `step` is the optimizer step that produced it. */
export class NonFiniteLossError extends RecurrentError {
  readonly step: number;
  readonly loss: number;

  constructor(step: number, loss: number, options: RecurrentErrorOptions = {}) {
    super(
      'NON_FINITE_LOSS',
      `train: loss became ${loss} at step ${step}; the run was stopped and no checkpoint was written for it`,
      options,
    );
    this.name = 'NonFiniteLossError';
    this.step = step;
    this.loss = loss;
  }
}
