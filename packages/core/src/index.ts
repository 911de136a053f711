export { tf } from './runtime/tf';
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Rank,
  DataType,
  TensorLike,
  Variable,
  NamedTensorMap,
} from './runtime/tf';
export {
  init,
  backendInfo,
  type InitOptions,
  type BackendInfo,
  type BackendName,
} from './runtime/init';
export {
  RecurrentError,
  InvalidArgumentError,
  ShapeError,
  DTypeError,
  VocabError,
  EmptyCorpusError,
  NonFiniteLossError,
  SafetensorsError,
  CheckpointError,
  WorkerError,
  ThreadError,
  toRecurrentError,
  describe,
  type ErrorCode,
  type ArgumentErrorDetails,
} from './errors';
export { Random, manualSeed, getRandom, type RandomState } from './runtime/random';
export {
  scope,
  memorySnapshot,
  assertNoLeak,
  assertNoLeakSync,
  TensorLeakError,
  type MemorySnapshot,
} from './runtime/scope';
export {
  checkInt,
  checkNumber,
  checkOneOf,
  checkShape,
  checkRank,
  checkDType,
  checkFloatTensor,
  checkBool,
  checkTokenRange,
  checkTensor,
  checkNotDisposed,
  checkIds,
} from './validate';
export {
  projectInput,
  rnnCellStep,
  rnnCellStepProjected,
  lstmCellStep,
  lstmCellStepProjected,
  gruCellStep,
  gruCellStepProjected,
  type RnnNonlinearity,
  type LstmStepResult,
} from './ops/composed-cells';
export { lstmSequence, gruSequence, rnnSequence, type RnnSequenceOptions } from './ops/sequence';
export {
  lstmSequenceComposed,
  gruSequenceComposed,
  rnnSequenceComposed,
  type SequenceResult,
  type LstmSequenceResult,
} from './ops/composed-sequence';
export type { SequenceOptions } from './ops/sequence-args';
export {
  packStepWeights,
  lstmStep,
  gruStep,
  rnnStep,
  type PackedStepWeights,
  type Route,
  type StepKind,
  type StepValuesInput,
  type StepValuesResult,
  type StepValuesOutput,
} from './ops/packed-step';
export { packDense, type PackedDense } from './ops/packed-dense';
export { linear } from './ops/linear';
export {
  softmaxCrossEntropy,
  softmaxCrossEntropyComposed,
  type SoftmaxCrossEntropyOptions,
} from './ops/cross-entropy';
export {
  parseSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  MAX_SAFETENSORS_HEADER,
  type SafetensorsDType,
  type SafetensorsData,
  type SafetensorsEntry,
  type SafetensorsArray,
  type ParsedSafetensors,
} from './io/safetensors';
