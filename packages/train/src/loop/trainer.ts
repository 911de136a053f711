import { InvalidArgumentError, NonFiniteLossError, Random, VocabError, checkIds, checkInt, checkOneOf, checkTensor, getRandom, tf, type RandomState, type Tensor } from '@recurrent/core';
import { checkTokenIds, disposeState, type RecurrentState } from '@recurrent/layers';
import { clipGradNorm } from '../clip/clip-grad';
import { valueAndGrads } from '../grad/value-and-grads';
import { crossEntropy } from '../losses/cross-entropy';
import type { Optimizer } from '../optim/optimizer';
import type { LRScheduler, LRSchedulerState } from '../schedules/schedule';
import { runEpochs, type EpochHost } from './epochs';
import { ResumePoint, batchIterator, checkPosition, restoreRandom, skipTrained, startPosition } from './resume';

export { restoreRandom } from './resume';
import type { BatchSource, EpochPosition, EpochStats, EvalResult, SequenceModel, StepInfo, TrainBatch, TrainerCallback } from './types';

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
  /**
   * What the caller says about the run, saved in `trainer.json` as it is (the CLI records the
   * flags that decide the batches, and checks them when it resumes inside an epoch).
   */
  run?: RunInfo;
}

/** Plain facts about a run (`TrainerOptions.run`). */
export type RunInfo = Record<string, string | number | boolean | null>;

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
  /** Optimizer steps taken. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** The run's random source now. */
  random: RandomState;
  scheduler: LRSchedulerState | null;
  history: EpochStats[];
  /**
   * Inside an epoch (a checkpoint taken every N steps, or an interrupted run): where it stands.
   * Null or absent at an epoch's end. The state carried into the next batch goes beside it
   * (`carriedState`).
   */
  position?: EpochPosition | null;
  /** `TrainerOptions.run`, when given. */
  run?: RunInfo;
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
  readonly run: RunInfo | null;
  step = 0;
  /** Epochs completed. */
  epoch = 0;
  history: EpochStats[] = [];
  private stopping = false;
  private interrupting = false;
  /** A run to continue inside an epoch: from `setState`, or left by an interrupted `fit`. */
  private readonly resumes: ResumePoint<RecurrentState>;
  /** The epoch being trained: its position and the state carried into the next batch. */
  private live: { position: EpochPosition; carried: RecurrentState | null } | null = null;


  constructor(options: TrainerOptions) {
    const fn = 'Trainer';
    if (!options?.model || typeof options.model.forward !== 'function') {
      throw new InvalidArgumentError({ fn, argument: 'options.model', expected: 'a model with forward/beginState/parameters', received: options?.model });
    }
    if (!options.optimizer || typeof options.optimizer.step !== 'function') {
      throw new InvalidArgumentError({ fn, argument: 'options.optimizer', expected: 'an Optimizer', received: options.optimizer });
    }
    const clip = checkClipNorm(fn, options.clipNorm);
    const scheduleEvery = checkOneOf(fn, 'options.scheduleEvery', options.scheduleEvery ?? 'step', ['step', 'epoch'] as const);
    if (options.scheduler != null && typeof options.scheduler.step !== 'function') {
      throw new InvalidArgumentError({ fn, argument: 'options.scheduler', expected: 'an LRScheduler or null', received: options.scheduler });
    }
    if (options.callbacks !== undefined && !Array.isArray(options.callbacks)) {
      throw new InvalidArgumentError({ fn, argument: 'options.callbacks', expected: 'an array of callbacks', received: options.callbacks });
    }
    if (options.random !== undefined && !(options.random instanceof Random)) {
      throw new InvalidArgumentError({ fn, argument: 'options.random', expected: 'a Random', received: options.random });
    }
    this.run = options.run === undefined ? null : checkRunInfo(fn, 'options.run', options.run);
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.scheduler = options.scheduler ?? null;
    this.scheduleEvery = scheduleEvery;
    this.random = options.random ?? getRandom();
    this.callbacks = [...(options.callbacks ?? [])];
    this.clipNorm = clip;
    this.resumes = new ResumePoint<RecurrentState>(this.random, disposeState);
  }

  /** Ends the run after the current epoch. */
  stop(): void {
    this.stopping = true;
  }

  get stopRequested(): boolean {
    return this.stopping;
  }

  /**
   * Ends the run after the current step (e.g. on Ctrl-C): `fit` returns, `getState()` and
   * `carriedState()` then say where the epoch stands (checkpoint them), and the next `fit`
   * continues from the next batch.
   */
  interrupt(): void {
    this.interrupting = true;
  }

  get interruptRequested(): boolean {
    return this.interrupting;
  }

  /** Whether the last `fit` was interrupted inside an epoch (the next one continues it). */
  get interrupted(): boolean {
    return this.resumes.pending !== null && this.resumes.pending.position.epoch === this.epoch + 1;
  }

  /**
   * Runs epochs `this.epoch + 1 … epochs` (the loop of `runEpochs`); returns the whole history.
   * After `setState` with a position (or an interrupted fit), the first epoch continues from the
   * batch after it, with the random state, carried state and sums it had: the same numbers as a
   * run that was never stopped.
   */
  async fit(options: FitOptions): Promise<EpochStats[]> {
    const epochs = checkFitOptions('Trainer.fit', options);
    this.stopping = false;
    this.interrupting = false;
    return runEpochs(this, epochs, options, { trainEpoch: (source, epoch) => this.trainEpoch(source, epoch) });
  }

  /** @internal `runEpochs` calls it as an epoch begins, before the epoch's data is drawn. */
  beginEpoch(epoch: number): void {
    this.resumes.begin(epoch);
  }

  /**
   * One pass over `source` (does not advance `epoch`; `fit` does). Null when `interrupt()` ended
   * it before its end. Inside `fit`, a resumed epoch draws again the batches its position says
   * were trained (without training them), then goes on from the saved random and carried state.
   */
  async trainEpoch(source: BatchSource, epoch = this.epoch + 1): Promise<EpochStats | null> {
    const iterator = batchIterator('Trainer.trainEpoch', source);
    const { random, resume } = this.resumes.take(epoch);
    this.model.train(true);
    let state: RecurrentState | null = resume?.carried ?? null;
    const position = startPosition(epoch, random, resume);
    this.live = { position, carried: state };
    let interrupted = false;
    let finished = false;
    try {
      if (resume) await skipTrained(iterator, resume, this.random, epoch);
      for (;;) {
        const next = await iterator.next();
        if (next.done) {
          finished = true;
          break;
        }
        const t0 = performance.now();
        const r = this.trainStep(next.value, state, epoch);
        state = r.state;
        this.live.carried = state;
        position.seconds += (performance.now() - t0) / 1000;
        position.lossSum += r.info.loss * r.info.tokens; // in double precision
        position.tokens += r.info.tokens;
        position.steps += 1;
        r.info.batch = position.batches++;
        for (const cb of this.callbacks) await cb.onStep?.(r.info, this);
        if (this.interrupting) {
          interrupted = true;
          break;
        }
      }
    } finally {
      this.live = null;
      if (!finished) await iterator.return?.();
      if (interrupted) this.resumes.hold({ position: { ...position }, random: this.random.getState(), carried: state });
      else disposeState(state);
    }
    if (interrupted) return null;
    const { lossSum, tokens, steps, seconds } = position;
    const loss = tokens > 0 ? lossSum / tokens : NaN;
    return { epoch, steps, tokens, loss, perplexity: Math.exp(loss), seconds, tokensPerSecond: seconds > 0 ? tokens / seconds : 0, lr: this.optimizer.lr };
  }

  /**
   * One optimizer step on `batch` from `state` (disposed here; null or not carried: zeros).
   * Returns the new state, without tape history; the caller owns it.
   */
  trainStep(batch: TrainBatch, state: RecurrentState | null, epoch = this.epoch + 1): { state: RecurrentState; info: StepInfo } {
    const fn = 'Trainer.trainStep';
    // Everything is checked before any work: a refused step changes nothing (weights, optimizer,
    // schedule, the caller's state).
    checkBatch(batch, fn, vocabSizeOf(this.model));
    if (state !== null && state !== undefined) checkStateTensors(fn, state);
    const t = batchTensors(batch, fn);
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

  /**
   * The JSON part of a checkpoint (`trainer.json`): counters, random state, schedule, history and,
   * inside an epoch (from a callback, or after an interrupted fit), the epoch's position.
   */
  getState(): TrainerState {
    const pending = this.resumes.pending;
    const inside = this.live ?? (pending ? { position: pending.position } : null);
    const random = this.live || !pending ? this.random.getState() : pending.random;
    return {
      step: this.step,
      epoch: this.epoch,
      random,
      scheduler: this.scheduler?.stateDict() ?? null,
      history: this.history.map((h) => ({ ...h })),
      position: inside ? { ...inside.position } : null,
      ...(this.run ? { run: { ...this.run } } : {}),
    };
  }

  /**
   * The state the next batch continues from, inside an epoch (null at an epoch's end or when
   * nothing is carried): the trainer's own tensors, to be saved beside `getState()` (do not
   * dispose them).
   */
  carriedState(): RecurrentState | null {
    return this.live?.carried ?? this.resumes.pending?.carried ?? null;
  }

  /**
   * Continues from a saved state: counters, history, schedule and the random source (in place);
   * with a position, the next `fit` continues that epoch from the batch after it, carrying
   * `carried` (copied: the caller keeps its tensors). Everything is checked first.
   */
  setState(state: TrainerState, carried: RecurrentState | null = null): void {
    applyTrainerState('Trainer.setState', this, this.resumes, state, carried);
  }

  /** Frees what the trainer holds (the carried state of an interrupted or resumed epoch). */
  dispose(): void {
    this.resumes.drop();
  }
}

/** What `setState` writes on a trainer (`Trainer` and `DataParallelTrainer` alike). */
export interface StateHost {
  step: number;
  epoch: number;
  history: EpochStats[];
  readonly random: Random;
  readonly scheduler: LRScheduler | null;
}

/**
 * `setState` for both trainers: checks everything first, then sets counters, history, schedule
 * and the random source (in place), and holds a position to continue with a copy of `carried`.
 */
export function applyTrainerState(fn: string, host: StateHost, resumes: ResumePoint<RecurrentState>, state: TrainerState, carried: RecurrentState | null): void {
  checkTrainerState(fn, state);
  if (carried !== null && carried !== undefined) checkStateTensors(fn, carried);
  if (host.scheduler && state.scheduler) host.scheduler.loadStateDict(state.scheduler);
  resumes.drop();
  host.step = state.step;
  host.epoch = state.epoch;
  host.history = state.history.map((h) => ({ ...h }));
  restoreRandom(host.random, state.random);
  if (state.position) {
    const copy = carried ? (carried.c ? { h: carried.h.clone(), c: carried.c.clone() } : { h: carried.h.clone() }) : null;
    resumes.hold({ position: { ...state.position }, random: state.random, carried: copy });
  }
}

/** A `TrainerState` as `setState` needs it (a `CheckpointError`-free check: it is an argument here). */
export function checkTrainerState(fn: string, state: TrainerState): void {
  if (state === null || typeof state !== 'object') throw new InvalidArgumentError({ fn, argument: 'state', expected: "a trainer's getState()", received: state });
  checkInt(fn, 'state.step', state.step, 0);
  checkInt(fn, 'state.epoch', state.epoch, 0);
  if (!Array.isArray(state.history)) throw new InvalidArgumentError({ fn, argument: 'state.history', expected: 'an array', received: state.history });
  Random.fromState(state.random); // throws naming 'state' when it is not one
  checkPosition(fn, state.position, state.epoch);
  if (state.run !== undefined) checkRunInfo(fn, 'state.run', state.run);
}

/** A run's facts: an object of strings, numbers, booleans and nulls. */
export function checkRunInfo(fn: string, argument: string, run: unknown): RunInfo {
  const ok = run !== null && typeof run === 'object' && !Array.isArray(run) && Object.values(run).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
  if (!ok) throw new InvalidArgumentError({ fn, argument, expected: 'an object of strings, numbers, booleans and nulls', received: run });
  return { ...(run as RunInfo) };
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
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError({ fn, argument: 'batch.shape', expected: '[B, T] of positive integers (or x as a rank-2 tensor)', received: shape });
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

/**
 * Perplexity of `model` over `source` as the checkpoint README's `eval`: state carried where
 * `carryState` says, cross-entropy summed in double precision, `exp(sum / targets)`.
 */
export async function evaluate(model: Pick<SequenceModel, 'forward' | 'beginState'>, source: BatchSource): Promise<EvalResult> {
  if (!model || typeof model.forward !== 'function' || typeof model.beginState !== 'function') {
    throw new InvalidArgumentError({ fn: 'evaluate', argument: 'model', expected: 'a model with forward and beginState', received: model });
  }
  checkSource('evaluate', 'source', source);
  let state: RecurrentState | null = null;
  let sum = 0;
  let tokens = 0;
  try {
    for await (const batch of source) {
      checkBatch(batch, 'evaluate', vocabSizeOf(model));
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

/** `fit`'s options: the total epochs (returned) and the batch factories. */
export function checkFitOptions(fn: string, options: FitOptions): number {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object { epochs, data }', received: options });
  const epochs = checkInt(fn, 'options.epochs', options.epochs, 0);
  if (typeof options.data !== 'function') {
    throw new InvalidArgumentError({ fn, argument: 'options.data', expected: 'a function (epoch, random) => batches', received: options.data });
  }
  if (options.validation !== undefined && typeof options.validation !== 'function') {
    throw new InvalidArgumentError({ fn, argument: 'options.validation', expected: 'a function () => batches', received: options.validation });
  }
  return epochs;
}

/** A batch source: an iterable or async iterable of batches. */
export function checkSource(fn: string, argument: string, source: unknown): BatchSource {
  const s = source as Partial<AsyncIterable<TrainBatch> & Iterable<TrainBatch>> | null;
  if (s === null || typeof s !== 'object' || (typeof s[Symbol.asyncIterator] !== 'function' && typeof s[Symbol.iterator] !== 'function')) {
    throw new InvalidArgumentError({ fn, argument, expected: 'an iterable or async iterable of batches', received: source });
  }
  return source as BatchSource;
}

/** The vocabulary size a model declares (`LanguageModel.config.vocabSize`), if any. */
export function vocabSizeOf(model: unknown): number | undefined {
  const size = (model as { config?: { vocabSize?: unknown } } | null)?.config?.vocabSize;
  return typeof size === 'number' ? size : undefined;
}

/** A carried state: live tensors h (and c). */
export function checkStateTensors(fn: string, state: RecurrentState): void {
  if (state === null || typeof state !== 'object') throw new InvalidArgumentError({ fn, argument: 'state', expected: 'a state { h, c? } or null', received: state });
  checkTensor(fn, 'state.h', state.h);
  if (state.c !== undefined) checkTensor(fn, 'state.c', state.c);
}

/**
 * Checks a batch before any work: its [B, T]; x and y as int32 tensors (not disposed) or arrays
 * of B·T integer ids, in the vocabulary when the model gives its size (a `VocabError` naming the
 * first one outside); a mask of B·T finite, non-negative weights. Returns [B, T].
 */
export function checkBatch(batch: TrainBatch, fn: string, vocabSize?: number): [number, number] {
  if (batch === null || typeof batch !== 'object') throw new InvalidArgumentError({ fn, argument: 'batch', expected: 'a batch { x, y, shape? }', received: batch });
  for (const key of ['x', 'y', 'mask'] as const) {
    const v = batch[key];
    if (v !== undefined && isTensor(v)) checkTensor(fn, `batch.${key}`, v);
  }
  const shape = checkBatchShape(batch, fn, ['x', 'y', 'mask']);
  const size = vocabSize ?? 2 ** 31;
  for (const key of ['x', 'y'] as const) {
    const v = batch[key];
    if (isTensor(v)) checkTokenIds(fn, `batch.${key}`, v, size);
    else checkIds(fn, `batch.${key}`, v, size, VocabError);
  }
  const mask = batch.mask;
  if (mask !== undefined) {
    const values = isTensor(mask) ? (mask.dataSync() as ArrayLike<number>) : mask;
    for (let i = 0; i < values.length; i++) {
      const w = values[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) throw new InvalidArgumentError({ fn, argument: `batch.mask[${i}]`, expected: 'a finite weight >= 0', received: w });
    }
  }
  return shape;
}
