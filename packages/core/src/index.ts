export { tf } from './backend/tf';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Rank, DataType, TensorLike, Variable, NamedTensorMap } from './backend/tf';
export { init, backendInfo, type InitOptions, type BackendInfo, type BackendName } from './backend/init';
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
  toRecurrentError,
  describe,
  type ErrorCode,
  type ArgumentErrorDetails,
} from './errors';
export { Random, manualSeed, getRandom, type RandomState } from './random/random';
export { scope, memorySnapshot, assertNoLeak, assertNoLeakSync, TensorLeakError, type MemorySnapshot } from './memory/scope';
export { checkInt, checkNumber, checkOneOf, checkShape, checkRank, checkDType, checkFloatTensor, checkBool, checkTokenRange } from './validate';
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
} from './ops/cell-step';
export { lstmSequence, type LstmSequenceResult } from './ops/lstm-sequence';
export { gruSequence } from './ops/gru-sequence';
export { rnnSequence, type RnnSequenceOptions } from './ops/rnn-sequence';
export { lstmSequenceComposed, gruSequenceComposed, rnnSequenceComposed, type SequenceResult } from './ops/composed-sequence';
export type { SequenceOptions } from './ops/sequence-args';
export { packStepWeights, lstmStep, gruStep, rnnStep, type PackedStepWeights, type StepKind, type StepValuesInput, type StepValuesResult, type StepValuesOutput } from './ops/fused-step';
export { packDense, type PackedDense } from './wasm/packed-dense';
export { setWasmKernelsEnabled, wasmKernelsEnabled, wasmKernelsVariant, loadWasmKernels } from './wasm/kernel-module';
export { rowMatMul, type RowMatMul } from './ops/row-matmul';
export { linear } from './ops/linear';
export { setOwnGemmEnabled } from './kernels/wasm/own-gemm';
export { softmaxCrossEntropy, softmaxCrossEntropyComposed, type SoftmaxCrossEntropyOptions } from './ops/cross-entropy';
export { parseSafetensors, decodeSafetensors, encodeSafetensors, MAX_SAFETENSORS_HEADER, type SafetensorsDType, type SafetensorsData, type SafetensorsEntry, type SafetensorsArray, type ParsedSafetensors } from './io/safetensors';
export { registerWasmFixes, unregisterWasmFixes, wasmFixesRegistered } from './kernels/register';
