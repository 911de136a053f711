export {
  type LogitsProcessor,
  applyLogitsProcessors,
  temperatureProcessor,
  topKProcessor,
  topPProcessor,
  repetitionPenaltyProcessor,
  softmax64,
  logSoftmax64,
  argmax,
  sortedIndices,
} from './processors/logits-processor';
export {
  type StoppingCriterion,
  type StoppingContext,
  shouldStop,
  maxTokensCriterion,
  stopTokensCriterion,
  stopStringsCriterion,
} from './stopping/stopping-criteria';
export { type Streamer, type StreamInfo, textStreamer } from './streaming/streamer';
export { type GenerationModel, type GenerationSession, warmUp, stepOnce } from './decode/model';
export { type GenerateOptions, type Strategy, resolveOptions } from './decode/options';
export { beamSearch, type BeamSearchOptions, type BeamHypothesis } from './decode/beam-search';
export {
  Generator,
  GenerationAbortedError,
  type GeneratorInit,
  type GeneratedToken,
  type GenerationResult,
  type EncodedPrefix,
  type FinishReason,
} from './decode/generator';
export { generatorFromCheckpointFiles, fetchGenerator, type FetchGeneratorOptions, type LoadedGenerator } from './load/load-generator';
