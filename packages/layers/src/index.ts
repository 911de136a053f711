export { Parameter } from './module/parameter';
export {
  Module,
  type StateDict,
  type LoadStateDictOptions,
  type LoadStateDictResult,
} from './module/module';
export { Linear, type LinearOptions } from './linear/linear';
export { Embedding, type EmbeddingOptions } from './embedding/embedding';
export { oneHot } from './embedding/one-hot';
export { checkTokenIds } from './embedding/check-ids';
export { Dropout, dropout } from './dropout/dropout';
export { type CellMode, type CellState, type CellWeights } from './rnn/cell-spec';
export { CellBase, type CellOptions } from './rnn/cell-base';
export { RNNCell } from './rnn/rnn-cell';
export { LSTMCell } from './rnn/lstm-cell';
export { GRUCell } from './rnn/gru-cell';
export {
  RNNBase,
  type RNNBaseOptions,
  type RNNForwardResult,
  type RNNImplementation,
} from './rnn/rnn-base';
export { RNN, type RNNOptions } from './rnn/rnn';
export { LSTM } from './rnn/lstm';
export { GRU } from './rnn/gru';
export { type RecurrentState, disposeState, detachState, detach } from './rnn/state';
export {
  LanguageModel,
  type LanguageModelConfig,
  type ResolvedLanguageModelConfig,
} from './lm/language-model';
export { DecodingSession } from './lm/decoding-session';
export { RNNScratch, type RNNScratchOptions } from './scratch/rnn-scratch';
export {
  parseCheckpointConfig,
  checkpointTensorShapes,
  checkWeightsMatchConfig,
  CHECKPOINT_FORMAT,
  type CheckpointConfig,
  type CheckpointCell,
  type CheckpointTokenizer,
  type CheckpointTokenizerLevel,
  type CheckpointPreprocess,
  type CheckpointTrainedWith,
  type CheckpointVocab,
} from './checkpoint/config';
export {
  checkpointConfigFromModel,
  modelCheckpointFiles,
  modelFromCheckpointFiles,
  checkModelAndMeta,
  readSafetensors,
  CONFIG_FILE,
  MODEL_FILE,
  type CheckpointMeta,
} from './checkpoint/model-checkpoint';
