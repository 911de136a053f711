import { RecurrentError } from './recurrent-error';

/** Normalizes anything thrown into a `RecurrentError` (unknown errors keep theirs as `cause`). */
export function toRecurrentError(error: unknown): RecurrentError {
  if (RecurrentError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RecurrentError('BACKEND', message, { cause: error });
}
