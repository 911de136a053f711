import { InvalidArgumentError, type ArgumentErrorDetails } from './invalid-argument-error';

/** A corpus with no tokens, or too few tokens for the requested batch shape. */
export class EmptyCorpusError extends InvalidArgumentError {
  constructor(details: ArgumentErrorDetails) {
    super(details, 'EMPTY_CORPUS');
    this.name = 'EmptyCorpusError';
  }
}
