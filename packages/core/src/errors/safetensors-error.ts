import { RecurrentError, type RecurrentErrorOptions } from './recurrent-error';

/** A safetensors buffer that is malformed, truncated or hostile. */
export class SafetensorsError extends RecurrentError {
  constructor(message: string, options: RecurrentErrorOptions = {}) {
    super('SAFETENSORS', `safetensors: ${message}`, options);
    this.name = 'SafetensorsError';
  }
}
