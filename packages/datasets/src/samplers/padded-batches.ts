import { checkInt, EmptyCorpusError, InvalidArgumentError, type Random } from '@recurrent/core';
import { makeSampler, samplerRandom, type Batch, type BatchSampler } from './batch';

export interface PaddedBatchesOptions {
  batchSize: number;
  /** The id written on padding positions of `x` and `y` (their mask is 0). */
  padId: number;
  /** Pad (and truncate) every row to this many steps; default: the longest row of each batch. */
  numSteps?: number;
  /** Shuffle the sentences each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last batch when it has fewer than `batchSize` sentences (default false). */
  dropLast?: boolean;
  random?: Random;
  seed?: number;
}

/**
 * Minibatches of sentences of different lengths for language modelling: row b holds
 * `x = s[0 … L-2]`, `y = s[1 … L-1]` of one sentence s (at least 2 tokens), padded with `padId`
 * up to T steps; `mask` is 1 on the L-1 real targets and 0 on padding, `lengths` gives L-1
 * (after truncation to `numSteps`). Rows are independent: `carryState` is false. The sampler's
 * `numSteps` is 0 when each batch is padded to its own longest row.
 */
export function paddedBatches(sentences: readonly ArrayLike<number>[], options: PaddedBatchesOptions): BatchSampler {
  const fn = 'paddedBatches';
  if (!Array.isArray(sentences)) {
    throw new InvalidArgumentError({ fn, argument: 'sentences', expected: 'an array of token id arrays', received: sentences });
  }
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object with batchSize and padId', received: options });
  }
  const batchSize = checkInt(fn, 'batchSize', options.batchSize);
  const padId = checkInt(fn, 'padId', options.padId, 0);
  const fixedSteps = options.numSteps === undefined ? undefined : checkInt(fn, 'numSteps', options.numSteps);
  const dropLast = options.dropLast ?? false;
  const shuffle = options.shuffle ?? true;
  if (sentences.length === 0) {
    throw new EmptyCorpusError({ fn, argument: 'sentences', expected: 'at least one sentence', received: 'no sentences' });
  }
  sentences.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || typeof s.length !== 'number' || s.length < 2) {
      throw new InvalidArgumentError({ fn, argument: `sentences[${i}]`, expected: 'an array of at least 2 token ids (an input and a target)', received: s });
    }
    for (let t = 0; t < s.length; t++) {
      const v = s[t]!;
      if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError({ fn, argument: `sentences[${i}][${t}]`, expected: 'a non-negative integer token id', received: v });
    }
  });
  if (dropLast && sentences.length < batchSize) {
    throw new EmptyCorpusError({ fn, argument: 'batchSize', expected: `at most the number of sentences (${sentences.length}) when dropLast is set`, received: batchSize });
  }
  const random = samplerRandom(options);
  const count = dropLast ? Math.floor(sentences.length / batchSize) : Math.ceil(sentences.length / batchSize);
  const sampler = makeSampler({ batchSize, numSteps: fixedSteps ?? 0, carryState: false, numBatches: () => count }, function* epoch(): Generator<Batch> {
    const order = Array.from({ length: sentences.length }, (_, i) => i);
    if (shuffle) random.shuffle(order);
    for (let k = 0; k < count; k++) {
      const rows = order.slice(k * batchSize, (k + 1) * batchSize).map((i) => sentences[i]!);
      const T = fixedSteps ?? Math.max(...rows.map((s) => s.length - 1));
      const B = rows.length;
      const x = new Int32Array(B * T).fill(padId); // [B, T]
      const y = new Int32Array(B * T).fill(padId); // [B, T]
      const mask = new Float32Array(B * T); // [B, T]
      const lengths = new Int32Array(B); // [B]
      rows.forEach((s, b) => {
        const n = Math.min(s.length - 1, T);
        lengths[b] = n;
        for (let t = 0; t < n; t++) {
          x[b * T + t] = s[t]!;
          y[b * T + t] = s[t + 1]!;
          mask[b * T + t] = 1;
        }
      });
      yield { x, y, shape: [B, T], carryState: false, index: k, mask, lengths };
    }
  });
  return sampler;
}
