// Continuing a run from inside an epoch, for both trainers: the position a checkpoint (or an
// interrupted fit) left, the random state the epoch began with, and the batches to draw again
// without training them before the run goes on exactly as it would have.
import { CheckpointError, InvalidArgumentError, Random, checkInt, checkNumber, tf, type RandomState } from '@recurrent/core';
import type { BatchSource, EpochPosition, TrainBatch } from './types';

/** A run to continue inside an epoch: its position, the random state then, the state carried. */
export interface Resume<C> {
  position: EpochPosition;
  random: RandomState;
  carried: C | null;
}

/**
 * The resume a trainer holds and hands to the epoch it belongs to. `begin(epoch)` runs as
 * `runEpochs` starts an epoch (before its data is drawn): it notes the random state the epoch
 * begins with or, resuming, puts back the one it began with; `take(epoch)` gives the epoch's
 * training pass that start and the resume (whose carried state is the pass's from then on).
 */
export class ResumePoint<C> {
  pending: Resume<C> | null = null;
  private starting: { epoch: number; random: RandomState; resume: Resume<C> | null } | null = null;

  constructor(
    private readonly random: Random,
    private readonly release: (carried: C) => void,
  ) {}

  begin(epoch: number): void {
    let resume: Resume<C> | null = null;
    if (this.pending) {
      if (this.pending.position.epoch === epoch) resume = this.pending;
      else this.drop();
    }
    // Resuming: the epoch's data is drawn again from the random state the epoch began with.
    if (resume) restoreRandom(this.random, resume.position.random);
    this.starting = { epoch, random: resume ? resume.position.random : this.random.getState(), resume };
  }

  take(epoch: number): { random: RandomState; resume: Resume<C> | null } {
    const start = this.starting?.epoch === epoch ? this.starting : { epoch, random: this.random.getState(), resume: null };
    this.starting = null;
    if (start.resume) this.pending = null;
    return start;
  }

  /** Holds where an interrupted epoch stopped (the next fit continues it). */
  hold(resume: Resume<C>): void {
    this.drop();
    this.pending = resume;
  }

  drop(): void {
    if (this.pending?.carried) this.release(this.pending.carried);
    this.pending = null;
  }
}

/** A fresh position at the start of `epoch`, or a copy of the resumed one. */
export function startPosition(epoch: number, random: RandomState, resume: Resume<unknown> | null): EpochPosition {
  return resume ? { ...resume.position } : { epoch, batches: 0, random, lossSum: 0, tokens: 0, steps: 0, seconds: 0 };
}

/**
 * Draws the batches a resumed epoch already trained (freeing their tensors, training nothing),
 * then puts the random state of the checkpoint back. Too few batches is a `CheckpointError`.
 */
export async function skipTrained(iterator: AsyncIterator<TrainBatch> | Iterator<TrainBatch>, resume: Resume<unknown>, random: Random, epoch: number): Promise<void> {
  const n = resume.position.batches;
  for (let i = 0; i < n; i++) {
    const next = await iterator.next();
    if (next.done) {
      throw new CheckpointError(
        `resume: epoch ${epoch}'s data has ${i} batches, fewer than the ${n} the checkpoint's position says were trained; resume with the same data and batch settings`,
      );
    }
    disposeBatch(next.value);
  }
  restoreRandom(random, resume.random);
}

/** An iterator over a batch source (sync or async). */
export function batchIterator(fn: string, source: BatchSource): AsyncIterator<TrainBatch> | Iterator<TrainBatch> {
  const s = source as Partial<AsyncIterable<TrainBatch> & Iterable<TrainBatch>> | null;
  const asyncIterator = s?.[Symbol.asyncIterator];
  if (typeof asyncIterator === 'function') return asyncIterator.call(source);
  const iterator = s?.[Symbol.iterator];
  if (typeof iterator === 'function') return iterator.call(source);
  throw new InvalidArgumentError({ fn, argument: 'data(epoch)', expected: 'an iterable or async iterable of batches', received: source });
}

/** Frees the tensors of a batch that is skipped (a typed-array batch holds none). */
export function disposeBatch(batch: TrainBatch): void {
  for (const v of [batch.x, batch.y, batch.mask]) if (v instanceof tf.Tensor) v.dispose();
}

/** Puts `target` into `state` in place, so every holder of it (model, sampler) continues from there. */
export function restoreRandom(target: Random, state: RandomState): void {
  Object.assign(target, Random.fromState(state));
}

/** Checks a position from `trainer.json` against the state it belongs to (epochs completed). */
export function checkPosition(fn: string, position: unknown, completed: number): EpochPosition | null {
  if (position === null || position === undefined) return null;
  if (typeof position !== 'object') throw new InvalidArgumentError({ fn, argument: 'state.position', expected: 'null or an epoch position', received: position });
  const p = position as EpochPosition;
  if (p.epoch !== completed + 1) {
    throw new InvalidArgumentError({ fn, argument: 'state.position.epoch', expected: `${completed + 1} (the epoch after the ${completed} completed)`, received: p.epoch });
  }
  checkInt(fn, 'state.position.batches', p.batches, 1);
  checkInt(fn, 'state.position.steps', p.steps, 0);
  for (const key of ['lossSum', 'tokens', 'seconds'] as const) checkNumber(fn, `state.position.${key}`, p[key], { min: 0 });
  Random.fromState(p.random);
  return p;
}
