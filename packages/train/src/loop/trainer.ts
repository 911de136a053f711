import { InvalidArgumentError, NonFiniteLossError, Random, checkInt, getRandom, tf, type RandomState, type Tensor } from '@recurrent/core';
import { disposeState, type RecurrentState } from '@recurrent/layers';
import { clipGradNorm } from '../clip/clip-grad';
import { valueAndGrads } from '../grad/value-and-grads';
import { crossEntropy } from '../losses/cross-entropy';
import type { Optimizer } from '../optim/optimizer';
import type { LRScheduler, LRSchedulerState } from '../schedules/schedule';
import { runEpochs, type EpochHost } from './epochs';
import type { BatchSource, EpochStats, EvalResult, SequenceModel, StepInfo, TrainBatch, TrainerCallback } from './types';

export interface TrainerOptions {
  model: SequenceModel;
  optimizer: Optimizer;
  /** Clip the global L2 gradient norm to this before each step (null: no clipping). */
  clipNorm?: number | null;
  scheduler?: LRScheduler | null;
  /** When the scheduler advances: after every optimizer step (default) or every epoch. */
  scheduleEvery?: 'step' | 'epoch';
  callbacks?: TrainerCallback[];
  /**
   * The run's random source: handed to the data factory each epoch and saved in checkpoints
   * (default: the global one). Give the model the same one so dropout resumes exactly.
   */
  random?: Random;
}

export interface FitOptions {
  /** Total epochs of the run (a resumed run continues up to this number). */
  epochs: number;
  /** The training batches of epoch `epoch` (1-based), drawing any randomness from `random`. */
  data: (epoch: number, random: Random) => BatchSource;
  /** Held-out batches evaluated after every epoch. */
  validation?: () => BatchSource;
}

/** What `trainer.json` stores: enough to continue the run exactly. */
export interface TrainerState {
  step: number;
  epoch: number;
  random: RandomState;
  scheduler: LRSchedulerState | null;
  history: EpochStats[];
}

/**
 * The training loop: epochs over a batch source with truncated back-propagation through time.
 * The recurrent state starts at zero each epoch, is carried (without history) into a batch whose
 * `carryState` is true and reset otherwise; the loss is the mean cross-entropy over all steps of
 * the batch; gradients are clipped, then the optimizer steps. A non-finite loss throws
 * `NonFiniteLossError` naming the step before any weight changes.
 */
export class Trainer implements EpochHost {
  readonly model: SequenceModel;
  readonly optimizer: Optimizer;
  readonly scheduler: LRScheduler | null;
  readonly random: Random;
  readonly callbacks: TrainerCallback[];
  readonly clipNorm: number | null;
  readonly scheduleEvery: 'step' | 'epoch';
  step = 0;
  /** Epochs completed. */
  epoch = 0;
  history: EpochStats[] = [];
  private stopping = false;

  constructor(options: TrainerOptions) {
    const fn = 'Trainer';
    if (!options?.model || typeof options.model.forward !== 'function') {
      throw new InvalidArgumentError({ fn, argument: 'options.model', expected: 'a model with forward/beginState/parameters', received: options?.model });
    }
    if (!options.optimizer || typeof options.optimizer.step !== 'function') {
      throw new InvalidArgumentError({ fn, argument: 'options.optimizer', expected: 'an Optimizer', received: options.optimizer });
    }
    const clip = checkClipNorm(fn, options.clipNorm);
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.scheduler = options.scheduler ?? null;
    this.scheduleEvery = options.scheduleEvery ?? 'step';
    this.random = options.random ?? getRandom();
    this.callbacks = [...(options.callbacks ?? [])];
    this.clipNorm = clip;
  }

  /** Ends the run after the current epoch. */
  stop(): void {
    this.stopping = true;
  }

  get stopRequested(): boolean {
    return this.stopping;
  }

  /** Runs epochs `this.epoch + 1 … epochs` (the loop of `runEpochs`); returns the whole history. */
  async fit(options: FitOptions): Promise<EpochStats[]> {
    const epochs = checkInt('Trainer.fit', 'options.epochs', options.epochs, 0);
    this.stopping = false;
    return runEpochs(this, epochs, options, { trainEpoch: (source, epoch) => this.trainEpoch(source, epoch) });
  }

  /** One pass over `source` (does not advance `epoch`; `fit` does). */
  async trainEpoch(source: BatchSource, epoch = this.epoch + 1): Promise<EpochStats> {
    this.model.train(true);
    let state: RecurrentState | null = null;
    let lossSum = 0; // double-precision sum of loss * targets
    let tokens = 0;
    let steps = 0;
    let seconds = 0;
    try {
      let batchIndex = 0;
      for await (const batch of source) {
        const t0 = performance.now();
        const r = this.trainStep(batch, state, epoch);
        state = r.state;
        seconds += (performance.now() - t0) / 1000;
        lossSum += r.info.loss * r.info.tokens;
        tokens += r.info.tokens;
        steps += 1;
        r.info.batch = batchIndex++;
        for (const cb of this.callbacks) await cb.onStep?.(r.info, this);
      }
    } finally {
      disposeState(state);
    }
    const loss = tokens > 0 ? lossSum / tokens : NaN;
    return { epoch, steps, tokens, loss, perplexity: Math.exp(loss), seconds, tokensPerSecond: seconds > 0 ? tokens / seconds : 0, lr: this.optimizer.lr };
  }

  /**
   * One optimizer step on `batch` from `state` (disposed here; null or not carried: zeros).
   * Returns the new state, without tape history; the caller owns it.
   */
  trainStep(batch: TrainBatch, state: RecurrentState | null, epoch = this.epoch + 1): { state: RecurrentState; info: StepInfo } {
    const t = batchTensors(batch, 'Trainer.trainStep');
    const { x, y, mask } = t;
    try {
      const [B, T] = x.shape as [number, number];
      let start = state;
      if (start && (!batch.carryState || start.h.shape[1] !== B)) {
        disposeState(start);
        start = null;
      }
      const params = this.model.parameters();
      this.optimizer.zeroGrad();
      let next: RecurrentState | null = null;
      let loss: number;
      try {
        ({ loss } = valueAndGrads(params, () => {
          const init = start ?? this.model.beginState(B);
          const out = this.model.forward(x, init);
          next = out.state;
          tf.keep(out.state.h);
          if (out.state.c) tf.keep(out.state.c);
          return crossEntropy(out.logits, y, mask ? { mask } : {});
        }));
      } finally {
        disposeState(start);
      }
      const stepNo = this.step + 1;
      if (!Number.isFinite(loss)) {
        this.optimizer.zeroGrad();
        disposeState(next);
        throw new NonFiniteLossError(stepNo, loss);
      }
      const gradNorm = this.clipNorm !== null ? clipGradNorm(params, this.clipNorm) : NaN;
      this.optimizer.step();
      this.optimizer.zeroGrad();
      this.step = stepNo;
      const lr = this.optimizer.lr;
      if (this.scheduler && this.scheduleEvery === 'step') this.scheduler.step();
      const tokens = mask ? tf.tidy(() => tf.sum(mask)).dataSync()[0]! : B * T;
      return { state: next!, info: { epoch, step: stepNo, batch: 0, loss, gradNorm, tokens, lr } };
    } finally {
      t.dispose();
    }
  }

  /** Mean cross-entropy per target (and perplexity) over `source`, without gradients. */
  async evaluate(source: BatchSource): Promise<EvalResult> {
    const model = this.model;
    model.train(false);
    const r = await evaluate(model, source);
    model.train(true);
    return r;
  }

  /** The JSON part of a checkpoint. */
  getState(): TrainerState {
    return { step: this.step, epoch: this.epoch, random: this.random.getState(), scheduler: this.scheduler?.stateDict() ?? null, history: this.history.map((h) => ({ ...h })) };
  }

  /** Continues from a saved state: counters, history, schedule and the random source (in place). */
  setState(state: TrainerState): void {
    this.step = state.step;
    this.epoch = state.epoch;
    this.history = state.history.map((h) => ({ ...h }));
    restoreRandom(this.random, state.random);
    if (state.scheduler && this.scheduler) this.scheduler.loadStateDict(state.scheduler);
  }
}

/** `options.clipNorm`: a positive number, or null / absent for no clipping. */
export function checkClipNorm(fn: string, clip: number | null | undefined): number | null {
  const value = clip ?? null;
  if (value !== null && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
    throw new InvalidArgumentError({ fn, argument: 'options.clipNorm', expected: 'a positive number or null', received: value });
  }
  return value;
}

/**
 * A batch's [B, T] (its `shape`, or x's shape when x is a rank-2 tensor), after checking that the
 * given fields (a mask only when present) hold B·T values each.
 */
export function checkBatchShape(batch: TrainBatch, fn: string, keys: readonly ('x' | 'y' | 'mask')[] = ['x', 'y']): [number, number] {
  const shape = batch.shape ?? (isTensor(batch.x) ? (batch.x.shape as [number, number]) : undefined);
  if (!shape || shape.length !== 2) {
    throw new InvalidArgumentError({ fn, argument: 'batch.shape', expected: '[B, T] (or x as a rank-2 tensor)', received: shape });
  }
  const size = shape[0] * shape[1];
  for (const key of keys) {
    const v = batch[key];
    if (v === undefined && key === 'mask') continue;
    const n = isTensor(v) ? v.size : v?.length;
    if (n !== size) throw new InvalidArgumentError({ fn, argument: `batch.${key}`, expected: `${size} ${key === 'mask' ? 'values' : 'ids'} for shape [${shape.join(', ')}]`, received: n });
  }
  return [shape[0], shape[1]];
}

/** The batch's tensors (made from typed arrays when needed); `dispose` frees all of them. */
export function batchTensors(batch: TrainBatch, fn = 'Trainer'): { x: Tensor; y: Tensor; mask: Tensor | null; dispose: () => void } {
  const shape = checkBatchShape(batch, fn);
  const made: Tensor[] = [];
  const toT = (v: Tensor | Int32Array | Float32Array, dtype: 'int32' | 'float32'): Tensor => {
    if (isTensor(v)) return v;
    const t = tf.tensor2d(v, [shape[0], shape[1]], dtype);
    made.push(t);
    return t;
  };
  const x = toT(batch.x, 'int32');
  const y = toT(batch.y, 'int32');
  const mask = batch.mask ? toT(batch.mask, 'float32') : null;
  const dispose = (): void => {
    for (const t of [x, y, mask]) t?.dispose();
  };
  return { x, y, mask, dispose };
}

function isTensor(v: unknown): v is Tensor {
  return v instanceof tf.Tensor;
}

/** Puts `target` into `state` in place, so every holder of it (model, sampler) continues from there. */
export function restoreRandom(target: Random, state: RandomState): void {
  Object.assign(target, Random.fromState(state));
}

/**
 * Perplexity of `model` over `source` as the checkpoint README's `eval`: state carried where
 * `carryState` says, cross-entropy summed in double precision, `exp(sum / targets)`.
 */
export async function evaluate(model: Pick<SequenceModel, 'forward' | 'beginState'>, source: BatchSource): Promise<EvalResult> {
  let state: RecurrentState | null = null;
  let sum = 0;
  let tokens = 0;
  try {
    for await (const batch of source) {
      const t = batchTensors(batch, 'evaluate');
      const { x, y, mask } = t;
      try {
        const B = x.shape[0]!;
        if (state && (!batch.carryState || state.h.shape[1] !== B)) {
          disposeState(state);
          state = null;
        }
        const prev: RecurrentState = state ?? model.beginState(B);
        const out = model.forward(x, prev);
        disposeState(prev);
        state = out.state;
        const perTarget = tf.tidy(() => crossEntropy(out.logits, y, mask ? { reduction: 'none', mask } : { reduction: 'none' }));
        out.logits.dispose();
        const data = perTarget.dataSync();
        perTarget.dispose();
        const weights = mask ? mask.dataSync() : null;
        for (let i = 0; i < data.length; i++) sum += data[i]!;
        if (weights) for (let i = 0; i < weights.length; i++) tokens += weights[i]!;
        else tokens += data.length;
      } finally {
        t.dispose();
      }
    }
  } finally {
    disposeState(state);
  }
  const loss = tokens > 0 ? sum / tokens : NaN;
  return { loss, perplexity: Math.exp(loss), tokens };
}
