export {
  RecurrentError,
  describe,
  type ErrorCode,
  type RecurrentErrorOptions,
} from './recurrent-error';
export { InvalidArgumentError, type ArgumentErrorDetails } from './invalid-argument-error';
export { ShapeError } from './shape-error';
export { DTypeError } from './dtype-error';
export { VocabError } from './vocab-error';
export { EmptyCorpusError } from './empty-corpus-error';
export { NonFiniteLossError } from './non-finite-loss-error';
export { SafetensorsError } from './safetensors-error';
export { CheckpointError } from './checkpoint-error';
export { WorkerError } from './worker-error';
export { ThreadError } from './thread-error';
export { toRecurrentError } from './normalize';
