// Node-only entry (`@recurrent/train/node`): training over worker threads. Kept apart from the
// main entry so browser bundles never see `node:worker_threads`.
export { DataParallelTrainer, type DataParallelTrainerOptions } from './parallel/data-parallel-trainer';
export { createOptimizer, OPTIMIZER_TYPES, type OptimizerSpec } from './parallel/optimizer-spec';
export type { StepTimes } from './parallel/protocol';
