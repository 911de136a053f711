import { InvalidArgumentError, type ArgumentErrorDetails } from './invalid-argument-error';

/** A token that is not in a vocabulary without `<unk>`, or a token id out of range. */
export class VocabError extends InvalidArgumentError {
  constructor(details: ArgumentErrorDetails) {
    super(details, 'VOCAB');
    this.name = 'VocabError';
  }
}
