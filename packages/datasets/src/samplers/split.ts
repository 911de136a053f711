import { checkNumber, EmptyCorpusError, InvalidArgumentError, type Random } from '@recurrent/core';

export interface SplitOptions {
  /** Fraction of the items that go to validation, in (0, 1); default 0.1. */
  validFraction?: number;
  /**
   * Arrays only (e.g. sentences): shuffle with this `Random` before splitting. A token stream
   * (typed array) is always split in order: the validation part is its tail.
   */
  shuffle?: Random;
}

/**
 * Splits a token stream (the validation part is the last `validFraction` of it, so both stay
 * contiguous text; typed arrays are split without copying) or a list of items (sentences;
 * optionally shuffled first). Both parts must be non-empty (`EmptyCorpusError` otherwise).
 */
export function trainValidSplit<T extends Int32Array | readonly unknown[]>(items: T, options: SplitOptions = {}): { train: T; valid: T } {
  const fn = 'trainValidSplit';
  const fraction = checkNumber(fn, 'validFraction', options.validFraction ?? 0.1, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  if (!(items instanceof Int32Array) && !Array.isArray(items)) {
    throw new InvalidArgumentError({ fn, argument: 'items', expected: 'an Int32Array of token ids or an array', received: items });
  }
  const n = items.length;
  const nValid = Math.round(n * fraction);
  if (nValid < 1 || n - nValid < 1) {
    throw new EmptyCorpusError({ fn, argument: 'items', expected: `enough items for a non-empty train and validation part with validFraction ${fraction}`, received: `${n} items` });
  }
  if (items instanceof Int32Array) {
    return { train: items.subarray(0, n - nValid) as T, valid: items.subarray(n - nValid) as T };
  }
  const list = [...(items as readonly unknown[])];
  if (options.shuffle) options.shuffle.shuffle(list);
  return { train: list.slice(0, n - nValid) as unknown as T, valid: list.slice(n - nValid) as unknown as T };
}
