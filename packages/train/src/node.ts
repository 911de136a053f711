// `@recurrent/train/node`: what needs Node. Training over worker threads, and checkpoints as
// directories on disk (written atomically; the checkpoint's files themselves are the main
// entry's `trainingCheckpointFiles` / `checkpointFromFiles`). The main entry stays
// platform-neutral, so browser bundles never see `node:*` modules.
export { DataParallelTrainer, type DataParallelTrainerOptions } from './parallel/data-parallel-trainer';
export { createOptimizer, OPTIMIZER_TYPES, type OptimizerSpec } from './parallel/optimizer-spec';
export type { StepTimes } from './parallel/protocol';
export { saveCheckpoint, loadCheckpoint } from './checkpoint/checkpoint-directory';
export { checkpointEvery, type CheckpointEveryOptions, type CheckpointableTrainer } from './callbacks/checkpoint-every';
