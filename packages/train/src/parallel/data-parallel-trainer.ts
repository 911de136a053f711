import { availableParallelism } from 'node:os';
import { InvalidArgumentError, NonFiniteLossError, checkInt, checkOneOf, getRandom, tf, type Random, type Tensor } from '@recurrent/core';
import { LanguageModel, disposeState, type LanguageModelConfig, type RecurrentState, type StateDict } from '@recurrent/layers';
import { runEpochs, type EpochHost } from '../loop/epochs';
import { applyTrainerState, checkBatch, checkClipNorm, checkFitOptions, evaluate, vocabSizeOf, type FitOptions, type TrainerState } from '../loop/trainer';
import { ResumePoint, batchIterator, skipTrained, startPosition } from '../loop/resume';
import type { BatchSource, EpochPosition, EpochStats, EvalResult, StepInfo, TrainBatch, TrainerCallback } from '../loop/types';
import type { Optimizer } from '../optim/optimizer';
import { LRScheduler, type ScheduleSpec } from '../schedules/schedule';
import { createOptimizer, loadPlainOptimizerState, plainOptimizerState, type OptimizerSpec } from './optimizer-spec';
import { sharedBuffers, type CarriedRows, type Command, type Reply, type StepTimes, type WorkerInit } from './protocol';
import { WorkerPool, checkReplies } from './worker-pool';

export interface DataParallelTrainerOptions {
  /** The model to train (its weights come back into it), or a config plus initial weights. */
  model: LanguageModel | { config: LanguageModelConfig; stateDict?: StateDict };
  /** The optimizer by name and options, e.g. `{ type: 'sgd', lr: 1 }` (each worker builds its copy). */
  optimizer: OptimizerSpec;
  /** Clip the global L2 norm of the summed gradient to this before each step (null: no clipping). */
  clipNorm?: number | null;
  /** A learning-rate schedule over the optimizer's `lr` (run on the main thread, sent with each step). */
  schedule?: ScheduleSpec | null;
  /** When the schedule advances: after every optimizer step (default) or every epoch. */
  scheduleEvery?: 'step' | 'epoch';
  /** Worker threads (default: `os.availableParallelism()`); a batch's rows are split between them. */
  workers?: number;
  /**
   * Threads of each worker's own pool for our module's kernels (`init({ threads })` there;
   * default: the cores shared out, `max(1, floor(availableParallelism() / workers))`), so that
   * workers × threads does not exceed the cores.
   */
  threadsPerWorker?: number;
  callbacks?: TrainerCallback[];
  /** Handed to the data factory each epoch (default: the global one). */
  random?: Random;
  /** Worker i seeds its global random source (dropout masks) with `seed + i` (default 0). */
  seed?: number;
  /**
   * @internal Where the worker script is (default: `parallel-worker.js` beside this module in
   * `dist`). Tests running on source pass a bundle of `src/parallel/worker-entry.ts`.
   */
  workerUrl?: URL | string;
}

/** Contiguous row counts of a batch of `batch` rows over `workers` (the first ones take the remainder). */
export function splitRows(batch: number, workers: number): number[] {
  const base = Math.floor(batch / workers);
  return Array.from({ length: workers }, (_, i) => base + (i < batch % workers ? 1 : 0));
}

/**
 * Data-parallel training over worker threads (Node only), with the same loop, callbacks and
 * `EpochStats` as `Trainer`. Each worker holds its own tfjs engine and a copy of the model and
 * optimizer; every batch's rows are split between the workers, each runs forward + backward on
 * its rows (carrying the state of ITS rows for sequential batches), the gradients are summed
 * through shared memory with one barrier per step, and every worker clips the sum and takes the
 * same optimizer step. The loss is each worker's summed cross-entropy over the batch's target
 * count, so the parts add up to the batch mean `Trainer` uses. Workers live for one `fit`; at
 * the end of every epoch and of the run the weights (and the optimizer state) come back into
 * `model` and `optimizer`. Errors inside a worker are thrown here as the same typed error.
 */
export class DataParallelTrainer implements EpochHost {
  /** The main thread's copy: holds the weights between fits (and after every epoch). */
  readonly model: LanguageModel;
  /** The main thread's copy of the optimizer: holds its state between fits. */
  readonly optimizer: Optimizer;
  readonly scheduler: LRScheduler | null;
  readonly scheduleEvery: 'step' | 'epoch';
  readonly workers: number;
  readonly threadsPerWorker: number;
  readonly clipNorm: number | null;
  readonly callbacks: TrainerCallback[];
  readonly random: Random;
  readonly seed: number;
  step = 0;
  epoch = 0;
  history: EpochStats[] = [];
  private readonly spec: OptimizerSpec;
  private readonly config: Omit<LanguageModelConfig, 'random'>;
  private readonly workerUrl: URL | string;
  private pool: WorkerPool | null = null;
  private lastPool: WorkerPool | null = null;
  private stopping = false;
  private interrupting = false;
  /** A run to continue inside an epoch: from `setState`, or left by an interrupted `fit`. */
  private readonly resumes: ResumePoint<RecurrentState>;
  /** The epoch being trained (its position), while a pass runs. */
  private live: EpochPosition | null = null;
  /** Per worker, milliseconds summed over the steps since the last `resetStepTimes`. */
  private times: StepTimes[] = [];

  constructor(options: DataParallelTrainerOptions) {
    const fn = 'DataParallelTrainer';
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object', received: options });
    }
    const workers = checkInt(fn, 'options.workers', options.workers ?? availableParallelism());
    const threadsPerWorker = checkInt(fn, 'options.threadsPerWorker', options.threadsPerWorker ?? Math.max(1, Math.floor(availableParallelism() / workers)));
    const clip = checkClipNorm(fn, options.clipNorm);
    const seed = checkInt(fn, 'options.seed', options.seed ?? 0, 0);
    const m = options.model;
    if (m instanceof LanguageModel) {
      this.model = m;
      this.config = { ...m.config };
    } else if (m !== null && typeof m === 'object' && 'config' in m) {
      const { random: _, ...config } = m.config;
      this.model = new LanguageModel(m.config);
      if (m.stateDict) this.model.loadStateDict(m.stateDict);
      this.config = config;
    } else {
      throw new InvalidArgumentError({ fn, argument: 'options.model', expected: 'a LanguageModel or { config, stateDict? }', received: m });
    }
    this.optimizer = createOptimizer(this.model.parameters(), options.optimizer, fn);
    this.spec = { ...options.optimizer };
    this.scheduler = options.schedule ? new LRScheduler(this.optimizer, options.schedule) : null;
    this.scheduleEvery = checkOneOf(fn, 'options.scheduleEvery', options.scheduleEvery ?? 'step', ['step', 'epoch'] as const);
    this.workers = workers;
    this.threadsPerWorker = threadsPerWorker;
    this.clipNorm = clip;
    this.seed = seed;
    this.callbacks = [...(options.callbacks ?? [])];
    this.random = options.random ?? getRandom();
    this.workerUrl = options.workerUrl ?? new URL('./parallel-worker.js', import.meta.url);
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
   * Ends the run after the step the workers are on (the one already queued is finished too):
   * `fit` returns with the weights, optimizer state and carried state in this trainer, and the
   * next `fit` (or a checkpoint of `getState()` and `carriedState()`) continues from there.
   */
  interrupt(): void {
    this.interrupting = true;
  }

  get interruptRequested(): boolean {
    return this.interrupting;
  }

  /** @internal `runEpochs` calls it as an epoch begins, before the epoch's data is drawn. */
  beginEpoch(epoch: number): void {
    this.resumes.begin(epoch);
  }

  /**
   * The JSON part of a checkpoint, as `Trainer.getState`. Taken at an epoch's end or after an
   * interrupted fit (then with the epoch's position); inside a pass the weights on the main thread
   * lag the workers', so a call from `onStep` is refused.
   */
  getState(): TrainerState {
    if (this.live) {
      throw new InvalidArgumentError({
        fn: 'DataParallelTrainer.getState',
        argument: 'this',
        expected: "a trainer between epochs or after interrupt() (a data-parallel run's checkpoints are taken at epoch ends and when interrupted)",
        received: `a pass in epoch ${this.live.epoch}`,
      });
    }
    const pending = this.resumes.pending;
    return {
      step: this.step,
      epoch: this.epoch,
      random: pending ? pending.random : this.random.getState(),
      scheduler: this.scheduler?.stateDict() ?? null,
      history: this.history.map((h) => ({ ...h })),
      position: pending ? { ...pending.position } : null,
    };
  }

  /** The state an interrupted epoch carries into its next batch (the trainer's tensors), or null. */
  carriedState(): RecurrentState | null {
    return this.resumes.pending?.carried ?? null;
  }

  /** As `Trainer.setState`: counters, history, schedule, random source, and a position to continue. */
  setState(state: TrainerState, carried: RecurrentState | null = null): void {
    const fn = 'DataParallelTrainer.setState';
    if (this.pool) throw new InvalidArgumentError({ fn, argument: 'this', expected: 'not fitting', received: 'a fit in progress' });
    applyTrainerState(fn, this, this.resumes, state, carried);
  }

  /** Frees what the trainer holds besides the model and optimizer (an interrupted epoch's carried state). */
  dispose(): void {
    this.resumes.drop();
  }

  /** Worker threads of the current (or last) `fit` that have not exited: 0 once `fit` returns or throws. */
  get liveWorkers(): number {
    return (this.pool ?? this.lastPool)?.liveWorkers ?? 0;
  }

  /**
   * Runs epochs `this.epoch + 1 … epochs` on the workers (the loop of `runEpochs`, as `Trainer`);
   * returns the whole history.
   */
  async fit(options: FitOptions): Promise<EpochStats[]> {
    const epochs = checkFitOptions('DataParallelTrainer.fit', options);
    if (this.pool) throw new InvalidArgumentError({ fn: 'DataParallelTrainer.fit', argument: 'this', expected: 'not already fitting', received: 'a fit in progress' });
    this.stopping = false;
    this.interrupting = false;
    // Nothing left to run: the callbacks only, no workers started.
    if (this.epoch >= epochs) return runEpochs(this, epochs, options, { trainEpoch: () => Promise.reject(new Error('DataParallelTrainer: no epoch left to run')) });
    const pool = this.start();
    this.pool = pool;
    this.lastPool = pool;
    let clean = false;
    try {
      await pool.ready();
      return await runEpochs(this, epochs, options, {
        trainEpoch: async (source, epoch) => {
          const stats = await this.trainEpoch(pool, source, epoch);
          await this.pull(pool); // the epoch's weights into `model`, for validation, callbacks and checkpoints
          return stats;
        },
        finish: async () => {
          clean = true; // every epoch ended with the weights pulled into `model`
          await pool.close();
        },
      });
    } catch (error) {
      // A non-finite loss leaves the workers consistent and before the update: keep their weights.
      if (!clean && error instanceof NonFiniteLossError) await this.pull(pool).catch(() => undefined);
      throw error;
    } finally {
      if (!clean) await pool.terminate(); // a clean run closed the pool above
      this.pool = null;
    }
  }

  /** Mean cross-entropy per target over `source` on the main thread's model. */
  async evaluate(source: BatchSource): Promise<EvalResult> {
    this.model.train(false);
    try {
      return await evaluate(this.model, source);
    } finally {
      this.model.train(true);
    }
  }

  private start(): WorkerPool {
    const named = this.model.namedParameters();
    const size = named.reduce((n, [, p]) => n + p.value.size, 0);
    const shared = sharedBuffers(this.workers, size);
    const names = named.map(([n]) => n);
    const weights = named.map(([, p]) => p.value.dataSync() as Float32Array);
    const optimizerState = plainOptimizerState(this.optimizer);
    const inits: WorkerInit[] = Array.from({ length: this.workers }, (_, index) => ({
      index,
      workers: this.workers,
      config: this.config,
      names,
      weights,
      optimizer: this.spec,
      optimizerState,
      clipNorm: this.clipNorm,
      seed: this.seed,
      threads: this.threadsPerWorker,
      shared,
    }));
    return new WorkerPool(this.workerUrl, inits);
  }

  /**
   * Where the workers' step time went since the last reset (milliseconds summed over steps, one
   * entry per worker): compute (forward + backward), wait (barrier), update (sum + clip + step)
   * and idle (waiting for the next command; the first step of each epoch waits for the epoch's start).
   */
  stepTimes(): StepTimes[] {
    return this.times.map((t) => ({ ...t }));
  }

  resetStepTimes(): void {
    this.times = [];
  }

  /**
   * Brings the workers' current weights and optimizer state into `model` and `optimizer` now;
   * outside `fit` (and at every epoch end) they are there already. The workers run one batch
   * ahead of the callbacks, so from `onStep` this waits for that queued step and returns the
   * weights after it (one step past `info.step`).
   */
  async syncWeights(): Promise<void> {
    if (this.pool) await this.pull(this.pool);
  }

  /** Copies worker 0's weights and optimizer state into `model` and `optimizer`. */
  private async pull(pool: WorkerPool): Promise<void> {
    const w = checkReplies([await pool.sendFirst({ type: 'weights' })])[0] as Extract<Reply, { type: 'weights' }>;
    this.model.parameters().forEach((p, i) => {
      const t = tf.tensor(w.weights[i]!, p.shape, 'float32');
      p.assign(t);
      t.dispose();
    });
    const s = checkReplies([await pool.sendFirst({ type: 'optimizerState' })])[0] as Extract<Reply, { type: 'optimizerState' }>;
    const lr = this.optimizer.lr; // the main thread runs the schedule: its lr is the next step's
    loadPlainOptimizerState(this.optimizer, s.state);
    this.optimizer.lr = lr;
  }

  /** Every worker's current weights (for tests: the copies must stay equal). @internal */
  async workerWeights(): Promise<Float32Array[][]> {
    if (!this.pool) return [];
    const replies = checkReplies(await this.pool.send({ type: 'weights' }));
    return replies.map((r) => (r as Extract<Reply, { type: 'weights' }>).weights);
  }

  /** Every worker's live tensor count and bytes (for leak tests). @internal */
  async workerMemory(): Promise<{ numTensors: number; numBytes: number }[]> {
    if (!this.pool) return [];
    const replies = checkReplies(await this.pool.send({ type: 'memory' }));
    return replies.map((r) => {
      const m = r as Extract<Reply, { type: 'memory' }>;
      return { numTensors: m.numTensors, numBytes: m.numBytes };
    });
  }

  /**
   * One pass over `source`. The next batch is sent before the current step's replies are awaited,
   * so the workers go from step to step without waiting for the main thread (a worker that saw a
   * non-finite loss refuses the queued step). A step's time runs from when the workers could
   * start it to its last reply, so callbacks and data loading are not counted, as in `Trainer`.
   */
  private async trainEpoch(pool: WorkerPool, source: BatchSource, epoch: number): Promise<EpochStats | null> {
    const { random, resume } = this.resumes.take(epoch);
    const position = startPosition(epoch, random, resume);
    let previousRows = -1;
    const iterator = batchIterator('DataParallelTrainer.fit', source);
    let finished = false;
    /** Schedule steps taken for batches sent but not yet done (undone if the epoch fails). */
    let ahead = 0;
    const post = async (): Promise<InFlight | { refused: unknown } | null> => {
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        return null;
      }
      const batch = next.value;
      let arrays: ReturnType<typeof batchArrays>;
      try {
        arrays = batchArrays(batch, vocabSizeOf(this.model));
      } catch (error) {
        return { refused: error }; // thrown once the step in flight is done, as Trainer would
      }
      const { x, y, mask, B, T } = arrays;
      const carry = Boolean(batch.carryState) && B === previousRows;
      previousRows = B;
      let targets = B * T;
      if (mask) {
        targets = 0;
        for (let i = 0; i < mask.length; i++) targets += mask[i]!;
      }
      let r0 = 0;
      const commands: Command[] = splitRows(B, this.workers).map((n) => {
        const from = r0 * T;
        r0 += n;
        return { type: 'step', x: x.slice(from, from + n * T), y: y.slice(from, from + n * T), mask: mask ? mask.slice(from, from + n * T) : null, rows: n, steps: T, carry, totalTargets: targets, lr: this.optimizer.lr };
      });
      const posted = performance.now();
      const replies = pool.sendTimed(commands);
      if (this.scheduler && this.scheduleEvery === 'step') {
        this.scheduler.step();
        ahead += 1;
      }
      replies.catch(() => undefined); // awaited below; abandoned only when an earlier step failed
      return { replies, posted, targets };
    };
    let lastDone = -Infinity;
    this.live = position;
    const carried = resume?.carried ?? null; // this epoch's now: freed once the workers have it
    try {
      if (resume) {
        await skipTrained(iterator, resume, this.random, epoch);
        // Each worker carries its rows of the saved state into the next batch.
        if (carried) {
          previousRows = carried.h.shape[1]!;
          checkReplies(await pool.send(splitCarried(carried, this.workers)));
        }
      }
      let current = await post();
      while (current) {
        if ('refused' in current) throw current.refused;
        // Interrupted: no new step is sent; the one in flight is finished below.
        const following = this.interrupting ? null : await post();
        const { replies: all, at } = await current.replies;
        const replies = checkReplies(all);
        const stepNo = this.step + 1;
        const first = replies[0]!;
        if (first.type === 'nonFinite') throw new NonFiniteLossError(stepNo, first.loss);
        if (first.type !== 'stepDone') throw new Error(`data-parallel: unexpected reply '${first.type}'`);
        replies.forEach((r, i) => {
          if (r.type !== 'stepDone') return;
          const t = (this.times[i] ??= { compute: 0, wait: 0, update: 0, idle: 0 });
          t.compute += r.times.compute;
          t.wait += r.times.wait;
          t.update += r.times.update;
          t.idle += r.times.idle;
        });
        this.step = stepNo;
        if (this.scheduler && this.scheduleEvery === 'step') ahead -= 1;
        position.seconds += (at - Math.max(current.posted, lastDone)) / 1000;
        lastDone = at;
        position.lossSum += first.loss * current.targets;
        position.tokens += current.targets;
        position.steps += 1;
        const info: StepInfo = { epoch, step: stepNo, batch: position.batches++, loss: first.loss, gradNorm: first.gradNorm, tokens: current.targets, lr: first.lr };
        for (const cb of this.callbacks) await cb.onStep?.(info, this);
        current = following;
      }
    } finally {
      this.live = null;
      disposeState(carried);
      if (ahead > 0 && this.scheduler) this.scheduler.loadStateDict({ ...this.scheduler.stateDict(), t: this.scheduler.t - ahead });
      if (!finished) await iterator.return?.();
    }
    if (!finished) {
      // Interrupted inside the epoch: keep where it stands and what the workers carry.
      const carried = gatherCarried(checkReplies(await pool.send({ type: 'carried' })));
      this.resumes.hold({ position: { ...position }, random: this.random.getState(), carried });
      return null;
    }
    const { lossSum, tokens, steps, seconds } = position;
    const loss = tokens > 0 ? lossSum / tokens : NaN;
    return { epoch, steps, tokens, loss, perplexity: Math.exp(loss), seconds, tokensPerSecond: seconds > 0 ? tokens / seconds : 0, lr: this.optimizer.lr };
  }
}

/** Row blocks of a carried state [L, B, H] for the workers (contiguous rows, as `splitRows`). */
function splitCarried(state: RecurrentState, workers: number): Command[] {
  const [L, B, H] = state.h.shape as [number, number, number];
  const h = state.h.dataSync() as Float32Array;
  const c = state.c ? (state.c.dataSync() as Float32Array) : null;
  let r0 = 0;
  return splitRows(B, workers).map((n) => {
    const rows = (src: Float32Array): Float32Array => {
      const out = new Float32Array(L * n * H);
      for (let l = 0; l < L; l++) out.set(src.subarray((l * B + r0) * H, (l * B + r0 + n) * H), l * n * H);
      return out;
    };
    const cmd: Command = { type: 'carry', state: n > 0 ? { shape: [L, n, H], h: rows(h), c: c ? rows(c) : null } : null };
    r0 += n;
    return cmd;
  });
}

/** The workers' carried rows joined back into one state [L, B, H] (workers in row order), or null. */
function gatherCarried(replies: Reply[]): RecurrentState | null {
  const parts = replies.map((r) => (r.type === 'carried' ? r.state : null)).filter((p): p is CarriedRows => p !== null);
  if (parts.length === 0) return null;
  const [L, , H] = parts[0]!.shape;
  const B = parts.reduce((n, p) => n + p.shape[1], 0);
  const join = (pick: (p: CarriedRows) => Float32Array): Float32Array => {
    const out = new Float32Array(L * B * H);
    let r0 = 0;
    for (const p of parts) {
      const n = p.shape[1];
      const src = pick(p);
      for (let l = 0; l < L; l++) out.set(src.subarray(l * n * H, (l + 1) * n * H), (l * B + r0) * H);
      r0 += n;
    }
    return out;
  };
  const h = tf.tensor(join((p) => p.h), [L, B, H], 'float32');
  if (!parts[0]!.c) return { h };
  return { h, c: tf.tensor(join((p) => p.c!), [L, B, H], 'float32') };
}

interface InFlight {
  replies: Promise<{ replies: Reply[]; at: number }>;
  posted: number;
  targets: number;
}

/** A batch as row-major arrays (tensors are read and disposed, as `Trainer` disposes them). */
function batchArrays(batch: TrainBatch, vocabSize: number | undefined): { x: Int32Array; y: Int32Array; mask: Float32Array | null; B: number; T: number } {
  const [B, T] = checkBatch(batch, 'DataParallelTrainer', vocabSize);
  const read = <A extends Int32Array | Float32Array>(v: Tensor | A, dtype: 'int32' | 'float32'): A => {
    if (!(v instanceof tf.Tensor)) return v;
    const data = (v.dtype === dtype ? v.dataSync() : tf.tidy(() => tf.cast(v, dtype).dataSync())) as A;
    v.dispose();
    return data;
  };
  return { x: read<Int32Array>(batch.x, 'int32'), y: read<Int32Array>(batch.y, 'int32'), mask: batch.mask ? read<Float32Array>(batch.mask, 'float32') : null, B, T };
}
