import { checkInt, EmptyCorpusError, InvalidArgumentError, type Random } from '@recurrent/core';
import { makeSampler, samplerRandom, toIds, type Batch, type BatchSampler } from './batch';

export interface StreamSamplerOptions {
  batchSize: number;
  numSteps: number;
  /** The random source for offsets and shuffling; default `new Random(seed)` if `seed` is given, else the global one. */
  random?: Random;
  seed?: number;
  /**
   * Largest random offset, inclusive: each epoch starts at `random.randint(0, maxOffset)`.
   * Default: `numSteps - 1` for `randomBatches` (d2l's `seq_data_iter_random`) and `numSteps`
   * for `sequentialBatches` (d2l's `seq_data_iter_sequential`, `random.randint(0, num_steps)`).
   */
  maxOffset?: number;
  /** A fixed offset instead of a random one (0 for evaluation in order). */
  offset?: number;
}

interface Resolved {
  ids: Int32Array;
  batchSize: number;
  numSteps: number;
  random: Random;
  offsets: { fixed: number } | { max: number };
}

function resolve(fn: string, corpus: ArrayLike<number>, options: StreamSamplerOptions, defaultMaxOffset: (numSteps: number) => number): Resolved {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object with batchSize and numSteps', received: options });
  }
  const batchSize = checkInt(fn, 'batchSize', options.batchSize);
  const numSteps = checkInt(fn, 'numSteps', options.numSteps);
  const ids = toIds(fn, corpus);
  let offsets: Resolved['offsets'];
  if (options.offset !== undefined) {
    if (options.maxOffset !== undefined) {
      throw new InvalidArgumentError({ fn, argument: 'options', expected: 'offset or maxOffset, not both', received: 'both' });
    }
    offsets = { fixed: checkInt(fn, 'offset', options.offset, 0) };
  } else {
    offsets = { max: options.maxOffset === undefined ? defaultMaxOffset(numSteps) : checkInt(fn, 'maxOffset', options.maxOffset, 0) };
  }
  const worst = 'fixed' in offsets ? offsets.fixed : offsets.max;
  // Both samplers need (n - offset - 1) >= batchSize * numSteps for one full batch.
  const needed = worst + 1 + batchSize * numSteps;
  if (ids.length < needed) {
    throw new EmptyCorpusError({
      fn,
      argument: 'corpus',
      expected: `at least ${needed} tokens for batchSize ${batchSize} x numSteps ${numSteps} (+1 target, + offset up to ${worst})`,
      received: `${ids.length} tokens`,
    });
  }
  return { ids, batchSize, numSteps, random: samplerRandom(options), offsets };
}

function drawOffset(r: Resolved): number {
  return 'fixed' in r.offsets ? r.offsets.fixed : r.random.randint(0, r.offsets.max);
}

/**
 * d2l's random sampling (`seq_data_iter_random`): each epoch drops a random offset of
 * `0 … maxOffset` tokens, cuts the rest into non-overlapping windows of `numSteps` tokens,
 * shuffles them and yields them `batchSize` at a time (each window at most once; the last
 * incomplete batch is dropped). `y` is the window shifted by one. Rows are independent:
 * `carryState` is false.
 */
export function randomBatches(corpus: ArrayLike<number>, options: StreamSamplerOptions): BatchSampler {
  const r = resolve('randomBatches', corpus, options, (t) => t - 1);
  const { ids, batchSize: B, numSteps: T } = r;
  const count = (offset = 0): number => Math.floor(Math.floor((ids.length - offset - 1) / T) / B);
  return makeSampler({ batchSize: B, numSteps: T, carryState: false, numBatches: count }, function* epoch(): Generator<Batch> {
    const offset = drawOffset(r);
    const numSubseqs = Math.floor((ids.length - offset - 1) / T);
    const starts = Array.from({ length: numSubseqs }, (_, i) => offset + i * T);
    r.random.shuffle(starts);
    const numBatches = Math.floor(numSubseqs / B);
    for (let k = 0; k < numBatches; k++) {
      const x = new Int32Array(B * T); // [B, T]
      const y = new Int32Array(B * T); // [B, T]
      for (let b = 0; b < B; b++) {
        const s = starts[k * B + b]!;
        x.set(ids.subarray(s, s + T), b * T);
        y.set(ids.subarray(s + 1, s + 1 + T), b * T);
      }
      yield { x, y, shape: [B, T], carryState: false, index: k };
    }
  });
}

/**
 * d2l's sequential partitioning (`seq_data_iter_sequential`): each epoch drops a random offset
 * of `0 … maxOffset` tokens, keeps the largest multiple of `batchSize` tokens that still has a
 * next-token target, splits it into `batchSize` rows of S tokens, and yields columns
 * `k*numSteps … (k+1)*numSteps - 1` for k = 0 … ⌊S / numSteps⌋ - 1. Row b of batch k+1 continues
 * row b of batch k, so `carryState` is true.
 */
export function sequentialBatches(corpus: ArrayLike<number>, options: StreamSamplerOptions): BatchSampler {
  const r = resolve('sequentialBatches', corpus, options, (t) => t);
  const { ids, batchSize: B, numSteps: T } = r;
  const count = (offset = 0): number => Math.floor(Math.floor((ids.length - offset - 1) / B) / T);
  return makeSampler({ batchSize: B, numSteps: T, carryState: true, numBatches: count }, function* epoch(): Generator<Batch> {
    const offset = drawOffset(r);
    const numTokens = Math.floor((ids.length - offset - 1) / B) * B;
    const S = numTokens / B; // row length
    const numBatches = Math.floor(S / T);
    for (let k = 0; k < numBatches; k++) {
      const x = new Int32Array(B * T); // [B, T]
      const y = new Int32Array(B * T); // [B, T]
      for (let b = 0; b < B; b++) {
        const s = offset + b * S + k * T;
        x.set(ids.subarray(s, s + T), b * T);
        y.set(ids.subarray(s + 1, s + 1 + T), b * T);
      }
      yield { x, y, shape: [B, T], carryState: true, index: k };
    }
  });
}
