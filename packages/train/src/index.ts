export { crossEntropy, type CrossEntropyOptions, type Reduction } from './losses/cross-entropy';
export { valueAndGrads, type ValueAndGradsOptions, type ValueAndGradsResult } from './grad/value-and-grads';
export { Optimizer, type OptimizerStateDict } from './optim/optimizer';
export { SGD, type SGDOptions } from './optim/sgd';
export { Adam, AdamW, type AdamOptions } from './optim/adam';
export { RMSprop, type RMSpropOptions } from './optim/rmsprop';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip/clip-grad';
export { LRScheduler, scheduleFactor, type ScheduleSpec, type LRSchedulerState } from './schedules/schedule';
export { Trainer, evaluate, restoreRandom, batchTensors, type TrainerOptions, type FitOptions, type TrainerState, type RunInfo } from './loop/trainer';
export type { TrainBatch, BatchSource, SequenceModel, StepInfo, EpochStats, EvalResult, TrainerCallback, TrainerLike, EpochPosition } from './loop/types';
export { earlyStopping, type EarlyStoppingOptions } from './callbacks/early-stopping';
export {
  trainingCheckpointFiles,
  checkpointFromFiles,
  OPTIMIZER_FILE,
  TRAINER_FILE,
  CARRIED_STATE_FILE,
  type CheckpointMeta,
  type SaveCheckpointOptions,
  type LoadedCheckpoint,
} from './checkpoint/checkpoint-files';
