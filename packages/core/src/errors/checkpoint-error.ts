import { RecurrentError, type RecurrentErrorOptions } from './recurrent-error';

/** A checkpoint directory that is missing files or whose config does not match its weights. */
export class CheckpointError extends RecurrentError {
  constructor(message: string, options: RecurrentErrorOptions = {}) {
    super('CHECKPOINT', message, options);
    this.name = 'CheckpointError';
  }
}
