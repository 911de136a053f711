// What the main thread and the data-parallel workers share: the start-up data, the messages,
// the shared-memory layout and the barrier the workers meet at once per step.
import type { LanguageModelConfig } from '@recurrent/layers';
import type { OptimizerSpec } from './optimizer-spec';

/** Plain arrays of an optimizer state dict (tensors as float32 data + shape), for messages. */
export interface PlainOptimizerState {
  tensors: Record<string, { data: Float32Array; shape: number[] }>;
  scalars: { type: string; options: Record<string, unknown>; steps: number[] };
}

/** A serialised error from a worker: enough to rebuild the same typed error on the main thread. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable fields of the error (fn, argument, expected, received, step, loss, …). */
  fields: Record<string, unknown>;
}

/** `workerData` of every worker. */
export interface WorkerInit {
  index: number;
  workers: number;
  config: Omit<LanguageModelConfig, 'random'>;
  /** Parameters in `namedParameters()` order. */
  names: string[];
  weights: Float32Array[];
  optimizer: OptimizerSpec;
  optimizerState: PlainOptimizerState;
  clipNorm: number | null;
  seed: number;
  /** Threads of the worker's own pool of our module's kernels (its `init({ threads })`). */
  threads: number;
  shared: SharedBuffers;
}

/** Main → worker. */
export type Command =
  | {
      type: 'step';
      /** The worker's rows: ids and targets `[rows, T]` row-major, optional mask. */
      x: Int32Array;
      y: Int32Array;
      mask: Float32Array | null;
      rows: number;
      steps: number;
      /** Continue this worker's rows from the previous batch's state (else zeros). */
      carry: boolean;
      /** Targets in the whole batch (mask sum, or B·T): each worker's summed loss is divided by it. */
      totalTargets: number;
      /** The learning rate of this step (the main thread runs the schedule). */
      lr: number;
    }
  | { type: 'weights' }
  | { type: 'optimizerState' }
  | { type: 'memory' }
  /** The state this worker carries into its rows' next batch (for a checkpoint). */
  | { type: 'carried' }
  /** Carry this state into its rows' next batch (resuming inside an epoch). */
  | { type: 'carry'; state: CarriedRows | null }
  | { type: 'close' };

/** A worker's carried state: h (and c) [L, rows, H] row-major. */
export interface CarriedRows {
  shape: [number, number, number];
  h: Float32Array;
  c: Float32Array | null;
}

/** Milliseconds of one worker's step, by phase. */
export interface StepTimes {
  /** Forward + backward on its rows and the gradients copied to shared memory. */
  compute: number;
  /** Blocked at the barrier: the imbalance between workers plus the sync itself. */
  wait: number;
  /** Sum of the workers' gradients, clipping and the optimizer step. */
  update: number;
  /** Between the end of the previous step and the start of this one (waiting for the command). */
  idle: number;
}

/** Worker → main. */
export type Reply =
  | { type: 'ready' }
  | { type: 'stepDone'; loss: number; gradNorm: number; lr: number; times: StepTimes }
  | { type: 'nonFinite'; loss: number }
  | { type: 'aborted' }
  | { type: 'error'; error: WireError }
  | { type: 'weights'; weights: Float32Array[] }
  | { type: 'optimizerState'; state: PlainOptimizerState }
  | { type: 'memory'; numTensors: number; numBytes: number }
  | { type: 'carried'; state: CarriedRows | null }
  | { type: 'ok' };

/**
 * Shared memory. `grads` is [2 parities, workers, P] float32: a step writes the slot of its parity,
 * so a worker that left the barrier first never overwrites what a peer is still summing.
 * `losses` is [2, workers] float64. `control` is Int32 [arrived, generation, aborted].
 */
export interface SharedBuffers {
  control: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  losses: SharedArrayBuffer;
  /** P: total parameter elements. */
  size: number;
}

export function sharedBuffers(workers: number, size: number): SharedBuffers {
  return {
    control: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT),
    grads: new SharedArrayBuffer(2 * workers * size * Float32Array.BYTES_PER_ELEMENT),
    losses: new SharedArrayBuffer(2 * workers * Float64Array.BYTES_PER_ELEMENT),
    size,
  };
}

const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;

/** Thrown in a worker whose peer failed while it waited at the barrier. */
export class PeerAbortedError extends Error {
  constructor() {
    super('data-parallel: a peer worker failed');
    this.name = 'PeerAbortedError';
  }
}

/**
 * A generation-counting barrier over Atomics.wait/notify. `abort()` wakes every waiter, which
 * then throws `PeerAbortedError`, so no worker stays blocked when another one fails.
 */
export class Barrier {
  private readonly ctl: Int32Array;
  constructor(
    control: SharedArrayBuffer,
    private readonly parties: number,
  ) {
    this.ctl = new Int32Array(control);
  }

  arrive(): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, ABORTED)) throw new PeerAbortedError();
    const gen = Atomics.load(ctl, GENERATION);
    if (Atomics.add(ctl, ARRIVED, 1) === this.parties - 1) {
      Atomics.store(ctl, ARRIVED, 0);
      Atomics.add(ctl, GENERATION, 1);
      Atomics.notify(ctl, GENERATION);
      return;
    }
    while (Atomics.load(ctl, GENERATION) === gen) {
      if (Atomics.load(ctl, ABORTED)) throw new PeerAbortedError();
      Atomics.wait(ctl, GENERATION, gen, 1000);
    }
  }

  abort(): void {
    Atomics.store(this.ctl, ABORTED, 1);
    Atomics.notify(this.ctl, GENERATION);
  }
}
