import type { Random, RandomState, Tensor } from '@recurrent/core';
import type { Parameter, RecurrentState } from '@recurrent/layers';

/**
 * One batch: int32 inputs and targets `[B, T]`, as tensors or as row-major `Int32Array`s with
 * `shape` (what @recurrent/datasets' samplers yield); `carryState` continues the previous
 * batch's rows; `mask` (1 = a real target) for padded batches.
 */
export interface TrainBatch {
  x: Tensor | Int32Array;
  y: Tensor | Int32Array;
  /** `[B, T]`; required when `x` is a typed array. */
  shape?: readonly [number, number];
  /** True when row b continues row b of the previous batch (sequential partitioning). */
  carryState?: boolean;
  mask?: Tensor | Float32Array;
}

/** Batches, sync or async. The trainer disposes each batch's tensors after using them. */
export type BatchSource = AsyncIterable<TrainBatch> | Iterable<TrainBatch>;

/**
 * Where a run stands inside an epoch: enough to continue it from the next batch exactly (the
 * `position` of `trainer.json`).
 */
export interface EpochPosition {
  /** The epoch in progress (1-based). */
  epoch: number;
  /** Batches of it already trained. */
  batches: number;
  /** The run's random state when the epoch began, before `data(epoch, random)` drew from it. */
  random: RandomState;
  /** The epoch's sums so far: loss × targets (in double precision), targets, steps, seconds. */
  lossSum: number;
  tokens: number;
  steps: number;
  seconds: number;
}

/** What the trainer needs of a model (`LanguageModel` fits). */
export interface SequenceModel {
  /** The vocabulary size, when the model has one: batches are checked against it. */
  readonly config?: { readonly vocabSize: number };
  parameters(): Parameter[];
  beginState(batchSize: number): RecurrentState;
  forward(ids: Tensor, state?: RecurrentState): { logits: Tensor; state: RecurrentState };
  train(mode?: boolean): unknown;
}

/** One optimizer step, as reported to `onStep`. */
export interface StepInfo {
  epoch: number;
  /** Optimizer steps taken so far in the run (this one included). */
  step: number;
  /** Index of the batch within the epoch (0-based). */
  batch: number;
  /** Mean cross-entropy per target of this batch. */
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  tokens: number;
  lr: number;
}

/** Held-out results: mean cross-entropy per target and its exp. */
export interface EvalResult {
  loss: number;
  perplexity: number;
  tokens: number;
}

/** One epoch's figures, as reported to `onEpochEnd`. */
export interface EpochStats {
  epoch: number;
  steps: number;
  tokens: number;
  /** Mean cross-entropy per target over the epoch (measured while the weights change, as d2l). */
  loss: number;
  perplexity: number;
  seconds: number;
  tokensPerSecond: number;
  lr: number;
  validation?: EvalResult;
}

/**
 * Hooks into the loop. `trainer.stop()` from any of them ends the run after the current epoch,
 * `trainer.interrupt()` after the current step.
 */
export interface TrainerCallback {
  onTrainBegin?(trainer: TrainerLike): void | Promise<void>;
  onEpochBegin?(epoch: number, trainer: TrainerLike): void | Promise<void>;
  onStep?(info: StepInfo, trainer: TrainerLike): void | Promise<void>;
  onEpochEnd?(stats: EpochStats, trainer: TrainerLike): void | Promise<void>;
  onTrainEnd?(history: readonly EpochStats[], trainer: TrainerLike): void | Promise<void>;
}

/** The part of `Trainer` callbacks see. */
export interface TrainerLike {
  readonly step: number;
  readonly epoch: number;
  readonly history: readonly EpochStats[];
  readonly random: Random;
  stop(): void;
  /** Ends the run after the current step; the next `fit` continues from there. */
  interrupt(): void;
}
