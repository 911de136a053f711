import { checkIds, EmptyCorpusError, getRandom, InvalidArgumentError, Random, tf, type Tensor } from '@recurrent/core';

/**
 * One minibatch, row-major typed arrays of shape `[batchSize, numSteps]`: `x[b * numSteps + t]`.
 * `y` is `x` shifted by one token. `carryState` says whether row b continues row b of the
 * previous batch (sequential partitioning: carry the hidden state over, detached) or not
 * (random sampling, padded sentences: start each batch from a zero state).
 */
export interface Batch {
  x: Int32Array; // [B, T]
  y: Int32Array; // [B, T]
  /** `[batchSize, numSteps]`. */
  shape: readonly [number, number];
  carryState: boolean;
  /** Position of this batch in its epoch (0, 1, …). */
  index: number;
  /** Padded batches only: 1 where `y` is a real target, 0 on padding. */
  mask?: Float32Array; // [B, T]
  /** Padded batches only: the number of real targets in each row. */
  lengths?: Int32Array; // [B]
}

/**
 * A seeded source of minibatches. Each pass (`for await (const b of sampler)`, or a plain `for`)
 * is one epoch and draws new randomness (offset, order) from the sampler's `Random`.
 */
export interface BatchSampler extends AsyncIterable<Batch>, Iterable<Batch> {
  readonly batchSize: number;
  readonly numSteps: number;
  /** True for sequential partitioning: batch i+1 continues each row of batch i. */
  readonly carryState: boolean;
  /** The batches of the next epoch (what iterating the sampler does). */
  epoch(): Generator<Batch>;
  /** How many batches an epoch yields when it starts at `offset` (default 0, the most). */
  numBatches(offset?: number): number;
}

/** `x`, `y` (and `mask`) as tensors: int32 `[B, T]` (mask float32). The caller disposes them. */
export function batchToTensors(batch: Batch): { x: Tensor; y: Tensor; mask?: Tensor } {
  const fn = 'batchToTensors';
  const shape = batch?.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError({ fn, argument: 'batch.shape', expected: '[B, T] of positive integers', received: shape });
  }
  const [b, t] = shape;
  checkIds(fn, 'batch.x', batch.x);
  checkIds(fn, 'batch.y', batch.y);
  for (const key of ['x', 'y', 'mask'] as const) {
    const v = batch[key];
    if (v !== undefined && v.length !== b * t) throw new InvalidArgumentError({ fn, argument: `batch.${key}`, expected: `${b * t} values for shape [${b}, ${t}]`, received: v.length });
  }
  const x = tf.tensor2d(batch.x, [b, t], 'int32'); // [B, T]
  const y = tf.tensor2d(batch.y, [b, t], 'int32'); // [B, T]
  if (!batch.mask) return { x, y };
  return { x, y, mask: tf.tensor2d(batch.mask, [b, t], 'float32') }; // [B, T]
}

/** Turns a generator factory into a sampler that is both sync- and async-iterable. */
export function makeSampler(
  props: { batchSize: number; numSteps: number; carryState: boolean; numBatches: (offset?: number) => number },
  epoch: () => Generator<Batch>,
): BatchSampler {
  return {
    ...props,
    epoch,
    [Symbol.iterator]: epoch,
    async *[Symbol.asyncIterator]() {
      yield* epoch();
    },
  };
}

/** Token ids as an Int32Array (validated: integers >= 0), refusing an empty corpus. */
export function toIds(fn: string, corpus: ArrayLike<number>): Int32Array {
  if (corpus === null || typeof corpus !== 'object' || typeof corpus.length !== 'number') {
    throw new InvalidArgumentError({ fn, argument: 'corpus', expected: 'an Int32Array or array of token ids', received: corpus });
  }
  if (corpus.length === 0) {
    throw new EmptyCorpusError({ fn, argument: 'corpus', expected: 'at least one token', received: 'an empty corpus' });
  }
  // Plain arrays and typed arrays (an Int32Array included) are checked alike.
  return checkIds(fn, 'corpus', corpus);
}

/** The `Random` a sampler draws from: `random`, else `new Random(seed)`, else the global one. */
export function samplerRandom(options: { random?: Random; seed?: number }): Random {
  return options.random ?? (options.seed !== undefined ? new Random(options.seed) : getRandom());
}
