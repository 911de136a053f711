// The boundary rule over the public API of all six packages (main and ./node entries), one table:
// every case is bad input a new user could pass; each must be refused by our typed error (the
// class named in the row, its message naming the argument), before any work: no tensor left
// behind, nothing changed on disk, and, for training, the weights bit-identical.
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError,
  DTypeError,
  EmptyCorpusError,
  InvalidArgumentError,
  Random,
  RecurrentError,
  SafetensorsError,
  ShapeError,
  VocabError,
  decodeSafetensors,
  encodeSafetensors,
  gruSequence,
  init,
  linear,
  lstmCellStep,
  lstmSequence,
  manualSeed,
  packDense,
  packStepWeights,
  parseSafetensors,
  projectInput,
  rnnCellStep,
  scope,
  softmaxCrossEntropy,
  tf,
  type Tensor,
} from '@recurrent/core';
import { batchToTensors, buildCorpus, decodeUtf8, paddedBatches, randomBatches, sequentialBatches, trainValidSplit } from '@recurrent/datasets';
import { downloadCached, hashBytes, loadCorpusTimeMachine, loadText, loadTimeMachine, readTextFile } from '@recurrent/datasets/node';
import {
  Generator,
  applyLogitsProcessors,
  beamSearch,
  fetchGenerator,
  generatorFromCheckpointFiles,
  maxTokensCriterion,
  repetitionPenaltyProcessor,
  resolveOptions,
  stepOnce,
  stopStringsCriterion,
  stopTokensCriterion,
  temperatureProcessor,
  topKProcessor,
  topPProcessor,
  warmUp,
} from '@recurrent/generate';
import { loadGenerator } from '@recurrent/generate/node';
import {
  Dropout,
  Embedding,
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  LanguageModel,
  Linear,
  Parameter,
  RNN,
  RNNCell,
  RNNScratch,
  checkTokenIds,
  modelCheckpointFiles,
  modelFromCheckpointFiles,
  oneHot,
  parseCheckpointConfig,
  type RecurrentState,
} from '@recurrent/layers';
import { readCheckpointFile, readModelCheckpoint, writeCheckpointFiles, writeModelCheckpoint } from '@recurrent/layers/node';
import { IntlWordSegmenter, Vocab, createTokenizer, ngramCounts, tokenize, tokenizeText } from '@recurrent/tokenizers';
import {
  Adam,
  AdamW,
  LRScheduler,
  RMSprop,
  SGD,
  Trainer,
  checkpointFromFiles,
  clipGradNorm,
  clipGradValue,
  crossEntropy,
  earlyStopping,
  evaluate,
  scheduleFactor,
  trainingCheckpointFiles,
  valueAndGrads,
} from '@recurrent/train';
import { DataParallelTrainer, checkpointEvery, createOptimizer, loadCheckpoint, saveCheckpoint } from '@recurrent/train/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type ErrorClass = abstract new (...args: never[]) => Error;
type Pkg = 'core' | 'tokenizers' | 'datasets' | 'layers' | 'train' | 'generate';

interface Ctx {
  dir: string;
  /** A whole training checkpoint written in beforeAll. */
  ckpt: string;
  model: LanguageModel;
  vocab: Vocab;
  optimizer: SGD;
  trainer: Trainer;
  generator: Generator;
  x: Tensor; // float32 [2, 3, 4]
  ids: Tensor; // int32 [2, 3] in [0, 5)
  disposed: Tensor; // float32 [2, 4], disposed
  disposedIds: Tensor; // int32 [1, 3], disposed
  param: Parameter;
}

interface Case {
  pkg: Pkg;
  /** The function or method called, for the test title. */
  call: string;
  run: (c: Ctx) => unknown;
  error: ErrorClass;
  /** Must appear in the message: the argument's name (or the key / file / tensor refused). */
  argument: string;
  /** A training case: the model's weights must stay bit-identical. */
  weights?: boolean;
}

const V = 5;

const bad = (pkg: Pkg, call: string, argument: string, error: ErrorClass, run: (c: Ctx) => unknown, weights = false): Case => ({ pkg, call, run, error, argument, weights });

/** The safetensors bytes of a tiny header, for hostile variants. */
function safetensorsWithHeader(header: unknown, dataBytes = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  return out;
}

function configJson(c: Ctx, patch: Record<string, unknown>): string {
  const files = modelCheckpointFiles(c.model, { tokenizer: { level: 'char', preprocess: 'none' }, vocab: c.vocab });
  return JSON.stringify({ ...JSON.parse(files['config.json'] as string), ...patch });
}

function modelBytes(c: Ctx): Uint8Array {
  return modelCheckpointFiles(c.model, { tokenizer: { level: 'char', preprocess: 'none' }, vocab: c.vocab })['model.safetensors'] as Uint8Array;
}

function batch(values: Int32Array, shape: [number, number] = [2, 3]) {
  return { x: values, y: new Int32Array(shape[0] * shape[1]), shape, carryState: false };
}

/** Tensors the cases' argument expressions make: not the refused call's, freed after each case. */
const args: Tensor[] = [];
const arg = <T extends Tensor>(t: T): T => {
  args.push(t);
  return t;
};
const Z = (shape: number[]) => arg(tf.zeros(shape));
const T1 = (values: number[], dtype?: 'int32' | 'float32') => arg(tf.tensor1d(values, dtype));
/** A state made for a case (its tensors are arguments). */
const S = (state: RecurrentState): RecurrentState => {
  arg(state.h);
  if (state.c) arg(state.c);
  return state;
};
/** A module made for a case: its parameters are arguments. */
const M = <T extends { parameters(): Parameter[] }>(m: T): T => {
  for (const p of m.parameters()) arg(p.value);
  return m;
};
const T2 = (values: number[][], shape: [number, number], dtype?: 'int32' | 'float32') => arg(tf.tensor2d(values, shape, dtype));

const CASES: Case[] = [
  // ---- @recurrent/core ------------------------------------------------------------------
  bad('core', 'init', 'options.backend', InvalidArgumentError, () => init({ backend: 'gpu' as 'wasm' })),
  bad('core', 'init', 'options.threads', InvalidArgumentError, () => init({ threads: 2.5 })),
  bad('core', 'Random', 'seed', InvalidArgumentError, () => new Random(1.5)),
  bad('core', 'Random.fromState', 'state', InvalidArgumentError, () => Random.fromState({} as never)),
  bad('core', 'Random.randint', 'high', InvalidArgumentError, () => new Random(0).randint(3, 1)),
  bad('core', 'Random.shuffle', 'array', InvalidArgumentError, () => new Random(0).shuffle('abc' as unknown as number[])),
  bad('core', 'Random.categorical', 'weights[1]', InvalidArgumentError, () => new Random(0).categorical([2, -1])),
  bad('core', 'manualSeed', 'seed', InvalidArgumentError, () => manualSeed(Number.NaN)),
  bad('core', 'scope', 'fn', InvalidArgumentError, () => scope(42 as never)),
  bad('core', 'linear', 'x', InvalidArgumentError, (c) => linear(c.disposed, Z([3, 4]))),
  bad('core', 'linear', 'weight', ShapeError, () => linear(Z([2, 4]), Z([3, 5]))),
  bad('core', 'projectInput', 'x', DTypeError, (c) => projectInput(c.ids, Z([8, 3]), null)),
  bad('core', 'lstmCellStep', 'h', InvalidArgumentError, (c) => lstmCellStep(Z([2, 4]), c.disposed, Z([2, 4]), Z([16, 4]), Z([16, 4]), null, null)),
  bad('core', 'rnnCellStep', 'nonlinearity', InvalidArgumentError, () => rnnCellStep(Z([2, 3]), Z([2, 4]), Z([4, 3]), Z([4, 4]), null, null, 'sigmoid' as 'tanh')),
  bad('core', 'lstmSequence', 'x', InvalidArgumentError, (c) => lstmSequence(c.disposed, Z([3, 4]), Z([3, 4]), Z([16, 4]), Z([16, 4]), null, null)),
  bad('core', 'lstmSequence', 'x', InvalidArgumentError, () => lstmSequence(T2([[0, 9]], [1, 2], 'int32'), Z([2, 4]), Z([2, 4]), Z([16, 5]), Z([16, 4]), null, null)),
  bad('core', 'gruSequence', 'h0', ShapeError, () => gruSequence(Z([2, 3, 5]), Z([2, 4]), Z([12, 5]), Z([12, 4]), null, null)),
  bad('core', 'gruSequence', 'bHh', InvalidArgumentError, () => gruSequence(Z([2, 3, 5]), Z([3, 4]), Z([12, 5]), Z([12, 4]), null, 'zeros' as never)),
  bad('core', 'packStepWeights', 'kind', InvalidArgumentError, () => packStepWeights('lstn' as 'lstm', Z([16, 4]), Z([16, 4]), null, null)),
  bad('core', 'packDense', 'weight', InvalidArgumentError, (c) => packDense(c.disposed, null)),
  bad('core', 'softmaxCrossEntropy', 'logits', DTypeError, (c) => softmaxCrossEntropy(c.ids, T1([0, 1], 'int32'))),
  bad('core', 'softmaxCrossEntropy', 'targets', InvalidArgumentError, () => softmaxCrossEntropy(Z([2, 3]), T1([0, 3], 'int32'))),
  bad('core', 'parseSafetensors', 'bytes', InvalidArgumentError, () => parseSafetensors('not bytes' as never)),
  bad('core', 'parseSafetensors', 'header length', SafetensorsError, () => parseSafetensors(new Uint8Array([255, 255, 255, 255, 255, 0, 0, 0]))),
  bad('core', 'decodeSafetensors', 'w', SafetensorsError, () => decodeSafetensors(safetensorsWithHeader({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } }))),
  bad('core', 'decodeSafetensors', 'w', SafetensorsError, () => decodeSafetensors(safetensorsWithHeader({ w: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }, 4))),
  bad('core', 'encodeSafetensors', 'w', SafetensorsError, (c) => encodeSafetensors({ w: c.disposed })),
  bad('core', 'encodeSafetensors', 'format', SafetensorsError, () => encodeSafetensors({}, { format: 5 as never })),

  // ---- @recurrent/tokenizers ------------------------------------------------------------------
  bad('tokenizers', 'tokenize', 'text', InvalidArgumentError, () => tokenize(42 as never, 'char')),
  bad('tokenizers', 'tokenize', 'level', InvalidArgumentError, () => tokenize('abc', 'byte' as 'char')),
  bad('tokenizers', 'tokenizeText', 'preprocess', InvalidArgumentError, () => tokenizeText('abc', 'char', 'lower' as 'none')),
  bad('tokenizers', 'createTokenizer', 'level', InvalidArgumentError, () => createTokenizer({ level: 'bpe' as 'char' })),
  bad('tokenizers', 'createTokenizer', 'preprocess', InvalidArgumentError, () => createTokenizer({ level: 'char', preprocess: 'nfc' as 'none' })),
  bad('tokenizers', 'Vocab', 'options.minFreq', InvalidArgumentError, () => new Vocab(['a'], { minFreq: 1.5 })),
  bad('tokenizers', 'Vocab', 'reservedTokens', InvalidArgumentError, () => new Vocab(['a'], { reservedTokens: [1 as never] })),
  bad('tokenizers', 'Vocab', 'unk', InvalidArgumentError, () => new Vocab(['a'], { unk: 3 as never })),
  bad('tokenizers', 'Vocab', 'tokens[1]', InvalidArgumentError, () => new Vocab(['a', 7 as never] as never)),
  bad('tokenizers', 'Vocab.fromJSON', 'json.tokens', VocabError, () => Vocab.fromJSON({ tokens: ['a', 'a'], unk: null })),
  bad('tokenizers', 'Vocab.fromJSON', 'json.unk', VocabError, () => Vocab.fromJSON({ tokens: ['a'], unk: '<unk>' })),
  bad('tokenizers', 'Vocab.encode', 'tokens[1]', VocabError, () => new Vocab(['a'], { unk: null }).encode(['a', 'z'])),
  bad('tokenizers', 'Vocab.encode', 'tokens', InvalidArgumentError, (c) => c.vocab.encode('abc' as never)),
  bad('tokenizers', 'Vocab.decode', 'ids[1]', VocabError, (c) => c.vocab.decode([0, 1.5])),
  bad('tokenizers', 'Vocab.decode', 'ids[0]', VocabError, (c) => c.vocab.decode(Int32Array.of(-1))),
  bad('tokenizers', 'ngramCounts', 'n', InvalidArgumentError, () => ngramCounts(['a', 'b'], 2.5)),
  bad('tokenizers', 'ngramCounts', 'tokens', InvalidArgumentError, () => ngramCounts('ab' as never, 2)),
  bad('tokenizers', 'IntlWordSegmenter', 'locale', InvalidArgumentError, () => new IntlWordSegmenter(5 as never)),

  // ---- @recurrent/datasets ------------------------------------------------------------------
  bad('datasets', 'buildCorpus', 'options.maxTokens', InvalidArgumentError, () => buildCorpus('abcdef', { level: 'char', maxTokens: 2.5 })),
  bad('datasets', 'buildCorpus', 'options.maxTokens', InvalidArgumentError, () => buildCorpus('abcdef', { level: 'char', maxTokens: -1 })),
  bad('datasets', 'buildCorpus', 'text', InvalidArgumentError, () => buildCorpus(null as never, { level: 'char' })),
  bad('datasets', 'buildCorpus', 'options.vocab', InvalidArgumentError, () => buildCorpus('ab', { level: 'char', vocab: { tokens: ['a'] } as never })),
  bad('datasets', 'buildCorpus', 'text', EmptyCorpusError, () => buildCorpus('   ', { level: 'word' })),
  bad('datasets', 'randomBatches', 'corpus[3]', InvalidArgumentError, () => randomBatches(Int32Array.of(0, 1, 2, -1, 4, 5, 6, 7, 8, 9), { batchSize: 2, numSteps: 2 })),
  bad('datasets', 'randomBatches', 'corpus[3]', InvalidArgumentError, () => randomBatches([0, 1, 2, -1, 4, 5, 6, 7, 8, 9], { batchSize: 2, numSteps: 2 })),
  bad('datasets', 'sequentialBatches', 'corpus[1]', InvalidArgumentError, () => sequentialBatches(Float32Array.of(0, 0.5, 1, 2, 3, 4, 5, 6, 7, 8), { batchSize: 2, numSteps: 2 })),
  bad('datasets', 'sequentialBatches', 'corpus[0]', InvalidArgumentError, () => sequentialBatches(Uint32Array.of(2 ** 31, 1, 2, 3, 4, 5, 6, 7, 8, 9), { batchSize: 2, numSteps: 2 })),
  bad('datasets', 'sequentialBatches', 'batchSize', InvalidArgumentError, () => sequentialBatches(new Int32Array(20), { batchSize: 2.5, numSteps: 2 })),
  bad('datasets', 'sequentialBatches', 'numSteps', InvalidArgumentError, () => sequentialBatches(new Int32Array(20), { batchSize: 2, numSteps: 0 })),
  bad('datasets', 'sequentialBatches', 'offset', InvalidArgumentError, () => sequentialBatches(new Int32Array(20), { batchSize: 2, numSteps: 2, offset: 0.5 })),
  bad('datasets', 'sequentialBatches', 'corpus', EmptyCorpusError, () => sequentialBatches(new Int32Array(3), { batchSize: 2, numSteps: 2 })),
  bad('datasets', 'randomBatches', 'options', InvalidArgumentError, () => randomBatches(new Int32Array(20), null as never)),
  bad('datasets', 'paddedBatches', 'sentences[1][1]', InvalidArgumentError, () => paddedBatches([Int32Array.of(1, 2), Int32Array.of(3, -4)], { batchSize: 1, padId: 0 })),
  bad('datasets', 'paddedBatches', 'padId', InvalidArgumentError, () => paddedBatches([[1, 2]], { batchSize: 1, padId: -1 })),
  bad('datasets', 'paddedBatches', 'options', InvalidArgumentError, () => paddedBatches([[1, 2]], undefined as never)),
  bad('datasets', 'trainValidSplit', 'validFraction', InvalidArgumentError, () => trainValidSplit(new Int32Array(10), { validFraction: 1 })),
  bad('datasets', 'trainValidSplit', 'items', EmptyCorpusError, () => trainValidSplit(new Int32Array(1))),
  bad('datasets', 'batchToTensors', 'batch.x', InvalidArgumentError, () => batchToTensors({ x: new Int32Array(3), y: new Int32Array(4), shape: [2, 2], carryState: false, index: 0 })),
  bad('datasets', 'decodeUtf8', 'path', InvalidArgumentError, () => decodeUtf8(Uint8Array.of(0xff), 'f', 'path', 'x.txt')),
  bad('datasets', 'readTextFile', 'missing.txt: not found', InvalidArgumentError, (c) => readTextFile(join(c.dir, 'missing.txt'))),
  bad('datasets', 'readTextFile', 'a directory, not a file', InvalidArgumentError, (c) => readTextFile(c.dir)),
  bad('datasets', 'loadText', 'source', InvalidArgumentError, () => loadText({ text: 'a', file: 'b' } as never)),
  bad('datasets', 'downloadCached', 'url', InvalidArgumentError, (c) => downloadCached('ftp://example.invalid/x', { cacheDir: c.dir })),
  bad('datasets', 'downloadCached', 'sha256', InvalidArgumentError, (c) => downloadCached('http://127.0.0.1:9/x.txt', { cacheDir: c.dir, sha256: 'zz' })),
  bad('datasets', 'hashBytes', 'algorithm', InvalidArgumentError, () => hashBytes(new Uint8Array(1), 'md5' as 'sha1')),
  bad('datasets', 'loadCorpusTimeMachine', 'options.level', InvalidArgumentError, () => loadCorpusTimeMachine({ level: 'byte' as 'char' })),
  bad('datasets', 'loadTimeMachine', 'options.path', InvalidArgumentError, () => loadTimeMachine({ path: '' })),

  // ---- @recurrent/layers ---------------------------------------------------------------------
  bad('layers', 'Parameter', 'value', InvalidArgumentError, (c) => new Parameter(c.disposed)),
  bad('layers', 'Parameter.assign', 'value', ShapeError, (c) => c.param.assign(Z([3]))),
  bad('layers', 'Linear', 'outFeatures', InvalidArgumentError, () => new Linear(3, 2.5)),
  bad('layers', 'Linear.forward', 'x', InvalidArgumentError, (c) => M(new Linear(4, 2)).forward(c.disposed)),
  bad('layers', 'Embedding', 'options.paddingIdx', InvalidArgumentError, () => new Embedding(4, 3, { paddingIdx: 4 })),
  bad('layers', 'Embedding.forward', 'ids', VocabError, () => M(new Embedding(4, 3)).forward(T1([1, 4], 'int32'))),
  bad('layers', 'Embedding.forward', 'ids', InvalidArgumentError, (c) => M(new Embedding(4, 3)).forward(c.disposedIds)),
  bad('layers', 'oneHot', 'depth', InvalidArgumentError, (c) => oneHot(c.ids, 2.5)),
  bad('layers', 'oneHot', 'ids', DTypeError, () => oneHot(T1([0.5]), 3)),
  bad('layers', 'checkTokenIds', 'ids', VocabError, (c) => checkTokenIds('f', 'ids', c.ids, 2)),
  bad('layers', 'Dropout', 'p', InvalidArgumentError, () => new Dropout(1.5)),
  bad('layers', 'RNNCell', 'options.nonlinearity', InvalidArgumentError, () => new RNNCell(3, 4, { nonlinearity: 'sigmoid' as 'tanh' })),
  bad('layers', 'LSTMCell.forward', 'input', ShapeError, () => M(new LSTMCell(3, 4)).forward(Z([2, 5]))),
  bad('layers', 'GRUCell.forward', 'h', InvalidArgumentError, (c) => M(new GRUCell(4, 4)).forward(Z([2, 4]), { h: c.disposed })),
  bad('layers', 'LSTM', 'options.numLayers', InvalidArgumentError, () => new LSTM(3, 4, { numLayers: 1.5 })),
  bad('layers', 'GRU', 'options.bidirectional', InvalidArgumentError, () => new GRU(3, 4, { bidirectional: 'yes' as never })),
  bad('layers', 'RNN', 'options.nonlinearity', InvalidArgumentError, () => new RNN(3, 4, { nonlinearity: 'gelu' as 'tanh' })),
  bad('layers', 'LSTM.forward', 'state.c', InvalidArgumentError, (c) => M(new LSTM(4, 4)).forward(c.x, { h: Z([1, 3, 4]), c: c.disposed })),
  bad('layers', 'GRU.forward', 'input', DTypeError, (c) => M(new GRU(3, 4)).forward(c.ids)),
  bad('layers', 'RNNScratch', 'options.sigma', InvalidArgumentError, () => new RNNScratch(3, 4, { sigma: -1 })),
  bad('layers', 'LanguageModel', 'config.vocabSize', InvalidArgumentError, () => new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: 4.5, hiddenSize: 4 })),
  bad('layers', 'LanguageModel', 'config.cell', InvalidArgumentError, () => new LanguageModel({ cell: 'transformer' as 'lstm', input: 'one-hot', vocabSize: 4, hiddenSize: 4 })),
  bad('layers', 'LanguageModel', 'config.dropout', InvalidArgumentError, () => new LanguageModel({ cell: 'gru', input: 'one-hot', vocabSize: 4, hiddenSize: 4, dropout: Number.NaN })),
  bad('layers', 'LanguageModel.beginState', 'batchSize', InvalidArgumentError, (c) => c.model.beginState(0.5)),
  bad('layers', 'LanguageModel.forward', 'ids', VocabError, (c) => c.model.forward(T2([[0, 5]], [1, 2], 'int32'))),
  bad('layers', 'LanguageModel.forward', 'ids', InvalidArgumentError, (c) => c.model.forward(c.disposedIds)),
  bad('layers', 'LanguageModel.forward', 'state.h', InvalidArgumentError, (c) => c.model.forward(c.ids, { h: c.disposed, c: c.disposed })),
  bad('layers', 'LanguageModel.step', 'state.h', InvalidArgumentError, (c) => c.model.step(T1([1], 'int32'), { h: c.disposed, c: c.disposed })),
  bad('layers', 'LanguageModel.step', 'ids', VocabError, (c) => c.model.step(T1([7], 'int32'), S(c.model.beginState(1)))),
  bad('layers', 'LanguageModel.openSession', 'state.h', InvalidArgumentError, (c) => c.model.openSession({ h: c.disposed })),
  bad('layers', 'LanguageModel.loadStateDict', 'linear.weight', ShapeError, (c) => c.model.loadStateDict({ 'linear.weight': Z([2, 2]) })),
  bad('layers', 'parseCheckpointConfig', 'hiddenSize', CheckpointError, (c) => parseCheckpointConfig(configJson(c, { hiddenSize: 4.5 }))),
  bad('layers', 'parseCheckpointConfig', 'extra', CheckpointError, (c) => parseCheckpointConfig(configJson(c, { extra: 1 }))),
  bad('layers', 'modelFromCheckpointFiles', 'rnn.weight_ih_l0', CheckpointError, (c) => modelFromCheckpointFiles(configJson(c, { hiddenSize: 8 }), modelBytes(c))),
  bad('layers', 'modelCheckpointFiles', 'vocab', CheckpointError, (c) => modelCheckpointFiles(c.model, { tokenizer: { level: 'char', preprocess: 'none' }, vocab: { tokens: ['a'], unk: null } })),
  bad('layers', 'writeCheckpointFiles', 'files', InvalidArgumentError, (c) => writeCheckpointFiles(join(c.dir, 'w'), { '../escape': 'x' })),
  bad('layers', 'writeCheckpointFiles', 'files["a"]', InvalidArgumentError, (c) => writeCheckpointFiles(join(c.dir, 'w'), { a: 5 as never })),
  bad('layers', 'writeModelCheckpoint', 'meta.tokenizer', InvalidArgumentError, (c) => writeModelCheckpoint(join(c.dir, 'm'), c.model, { tokenizer: null as never, vocab: c.vocab })),
  bad('layers', 'readModelCheckpoint', 'config.json', CheckpointError, (c) => readModelCheckpoint(join(c.dir, 'nothing-here'))),
  bad('layers', 'readCheckpointFile', 'name', InvalidArgumentError, (c) => readCheckpointFile(c.ckpt, '../config.json')),

  // ---- @recurrent/train ----------------------------------------------------------------------
  bad('train', 'crossEntropy', 'targets', VocabError, () => crossEntropy(Z([2, 3]), T1([0, 3], 'int32'))),
  bad('train', 'crossEntropy', 'logits', InvalidArgumentError, (c) => crossEntropy(c.disposed, T1([0, 1], 'int32'))),
  bad('train', 'crossEntropy', 'options.ignoreIndex', InvalidArgumentError, () => crossEntropy(Z([2, 3]), T1([0, 1], 'int32'), { ignoreIndex: 0.5 })),
  bad('train', 'crossEntropy', 'options.mask', InvalidArgumentError, (c) => crossEntropy(Z([2, 4]), T1([0, 1], 'int32'), { mask: c.disposed })),
  bad('train', 'valueAndGrads', 'lossFn', InvalidArgumentError, (c) => valueAndGrads(c.model.parameters(), 'loss' as never), true),
  bad('train', 'valueAndGrads', 'lossFn()', ShapeError, (c) => valueAndGrads(c.model.parameters(), () => Z([2])), true),
  bad('train', 'SGD', 'options.lr', InvalidArgumentError, (c) => new SGD(c.model.parameters(), { lr: Number.POSITIVE_INFINITY })),
  bad('train', 'SGD', 'options.nesterov', InvalidArgumentError, (c) => new SGD(c.model.parameters(), { lr: 1, nesterov: 'yes' as never })),
  bad('train', 'Adam', 'options.betas[1]', InvalidArgumentError, (c) => new Adam(c.model.parameters(), { betas: [0.9, 1] })),
  bad('train', 'AdamW', 'options.weightDecay', InvalidArgumentError, (c) => new AdamW(c.model.parameters(), { weightDecay: -0.1 })),
  bad('train', 'RMSprop', 'options.alpha', InvalidArgumentError, (c) => new RMSprop(c.model.parameters(), { alpha: 2 })),
  bad('train', 'Optimizer.loadStateDict', 'state', CheckpointError, (c) => c.optimizer.loadStateDict({ tensors: {}, scalars: { type: 'Adam', options: {}, steps: [] } }), true),
  bad('train', 'clipGradNorm', 'maxNorm', InvalidArgumentError, (c) => clipGradNorm(c.model.parameters(), Number.NaN), true),
  bad('train', 'clipGradValue', 'clipValue', InvalidArgumentError, (c) => clipGradValue(c.model.parameters(), -1), true),
  bad('train', 'LRScheduler', 'spec.stepSize', InvalidArgumentError, (c) => new LRScheduler(c.optimizer, { type: 'step', stepSize: 0.5 })),
  bad('train', 'scheduleFactor', 't', InvalidArgumentError, () => scheduleFactor({ type: 'constant' }, -1)),
  bad('train', 'Trainer', 'options.clipNorm', InvalidArgumentError, (c) => new Trainer({ model: c.model, optimizer: c.optimizer, clipNorm: -1 })),
  bad('train', 'Trainer', 'options.scheduleEvery', InvalidArgumentError, (c) => new Trainer({ model: c.model, optimizer: c.optimizer, scheduleEvery: 'batch' as 'step' })),
  bad('train', 'Trainer.fit', 'options.epochs', InvalidArgumentError, (c) => c.trainer.fit({ epochs: 1.5, data: () => [] }), true),
  bad('train', 'Trainer.fit', 'options.data', InvalidArgumentError, (c) => c.trainer.fit({ epochs: 1, data: 'batches' as never }), true),
  bad('train', 'Trainer.trainStep', 'batch.x', VocabError, (c) => c.trainer.trainStep(batch(Int32Array.of(0, 1, 2, 3, 4, 5)), null), true),
  bad('train', 'Trainer.trainStep', 'batch.y', VocabError, (c) => c.trainer.trainStep({ x: new Int32Array(6), y: Int32Array.of(0, 1, 2, 3, 9, 0), shape: [2, 3] }, null), true),
  bad('train', 'Trainer.trainStep', 'batch.x', InvalidArgumentError, (c) => c.trainer.trainStep({ x: c.disposedIds, y: c.disposedIds }, null), true),
  bad('train', 'Trainer.trainStep', 'batch.mask', InvalidArgumentError, (c) => c.trainer.trainStep({ x: new Int32Array(6), y: new Int32Array(6), shape: [2, 3], mask: Float32Array.of(1, 1, Number.NaN, 1, 1, 1) }, null), true),
  bad('train', 'Trainer.trainStep', 'batch.shape', InvalidArgumentError, (c) => c.trainer.trainStep({ x: new Int32Array(6), y: new Int32Array(6), shape: [2, 2.5] as never }, null), true),
  bad('train', 'Trainer.trainStep', 'state', InvalidArgumentError, (c) => c.trainer.trainStep({ x: new Int32Array(6), y: new Int32Array(6), shape: [2, 3], carryState: true }, { h: c.disposed, c: c.disposed } as RecurrentState), true),
  bad('train', 'Trainer.evaluate', 'batch.x', VocabError, (c) => c.trainer.evaluate([batch(Int32Array.of(0, 1, 2, 3, 4, 7))]), true),
  bad('train', 'evaluate', 'model', InvalidArgumentError, () => evaluate(null as never, [])),
  bad('train', 'earlyStopping', 'options.patience', InvalidArgumentError, () => earlyStopping({ patience: 1.5 })),
  bad('train', 'trainingCheckpointFiles', 'options.model', InvalidArgumentError, () => trainingCheckpointFiles({ model: null as never, tokenizer: { level: 'char', preprocess: 'none' }, vocab: { tokens: [], unk: null } })),
  bad('train', 'checkpointFromFiles', 'trainer.json', CheckpointError, (c) => checkpointFromFiles({ 'config.json': configJson(c, {}), 'model.safetensors': modelBytes(c), 'trainer.json': '{"step": 1.5}' })),
  bad('train', 'checkpointFromFiles', 'optimizer.safetensors', CheckpointError, (c) => checkpointFromFiles({ 'config.json': configJson(c, {}), 'model.safetensors': modelBytes(c), 'optimizer.safetensors': encodeSafetensors({}, { format: 'x' }) })),
  bad('train', 'saveCheckpoint', 'options.model', InvalidArgumentError, (c) => saveCheckpoint(join(c.dir, 's'), { model: {} as never, tokenizer: { level: 'char', preprocess: 'none' }, vocab: c.vocab })),
  bad('train', 'loadCheckpoint', 'model.safetensors', CheckpointError, async (c) => {
    const d = join(c.dir, 'half');
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'config.json'), configJson(c, {}));
    await writeFile(join(d, 'model.safetensors'), modelBytes(c).subarray(0, 40));
    try {
      return await loadCheckpoint(d);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  }),
  bad('train', 'checkpointEvery', 'options.every', InvalidArgumentError, (c) => checkpointEvery({ dir: c.dir, trainer: c.trainer, model: c.model, tokenizer: { level: 'char', preprocess: 'none' }, vocab: c.vocab, every: 0.5 })),
  bad('train', 'checkpointEvery', 'options.steps', InvalidArgumentError, (c) => checkpointEvery({ dir: c.dir, trainer: c.trainer, model: c.model, tokenizer: { level: 'char', preprocess: 'none' }, vocab: c.vocab, steps: -3 })),
  bad('train', 'createOptimizer', 'options.optimizer.type', InvalidArgumentError, (c) => createOptimizer(c.model.parameters(), { type: 'lbfgs' as 'sgd', lr: 1 })),
  bad('train', 'DataParallelTrainer', 'options.workers', InvalidArgumentError, (c) => new DataParallelTrainer({ model: c.model, optimizer: { type: 'sgd', lr: 1 }, workers: 1.5 })),
  bad('train', 'DataParallelTrainer', 'options.optimizer', InvalidArgumentError, (c) => new DataParallelTrainer({ model: c.model, optimizer: null as never })),

  // ---- @recurrent/generate -------------------------------------------------------------------
  bad('generate', 'temperatureProcessor', 'temperature', InvalidArgumentError, () => temperatureProcessor(0)),
  bad('generate', 'topKProcessor', 'topK', InvalidArgumentError, () => topKProcessor(2.5)),
  bad('generate', 'topPProcessor', 'topP', InvalidArgumentError, () => topPProcessor(1.5)),
  bad('generate', 'repetitionPenaltyProcessor', 'repetitionPenalty', InvalidArgumentError, () => repetitionPenaltyProcessor(Number.NaN)),
  bad('generate', 'applyLogitsProcessors', 'logits', InvalidArgumentError, () => applyLogitsProcessors([], [], [1, 2] as never)),
  bad('generate', 'maxTokensCriterion', 'maxTokens', InvalidArgumentError, () => maxTokensCriterion(0)),
  bad('generate', 'stopTokensCriterion', 'ids[0]', InvalidArgumentError, () => stopTokensCriterion([-1])),
  bad('generate', 'stopStringsCriterion', 'strings[1]', InvalidArgumentError, () => stopStringsCriterion(['a', 5 as never])),
  bad('generate', 'resolveOptions', 'maxTokens', InvalidArgumentError, () => resolveOptions('generate', { maxTokens: 2.5 })),
  bad('generate', 'resolveOptions', 'topK', InvalidArgumentError, () => resolveOptions('generate', { topK: 0 })),
  bad('generate', 'resolveOptions', 'seed', InvalidArgumentError, () => resolveOptions('generate', { seed: -1 })),
  bad('generate', 'warmUp', 'prefixIds[1]', VocabError, (c) => warmUp(c.model, [1, 9])),
  bad('generate', 'warmUp', 'prefixIds[2]', VocabError, (c) => warmUp(c.model, Int32Array.of(1, 2, -1) as never)),
  bad('generate', 'stepOnce', 'lastIds[0]', VocabError, (c) => stepOnce(c.model, [5], S(c.model.beginState(1)))),
  bad('generate', 'stepOnce', 'state.h', InvalidArgumentError, (c) => stepOnce(c.model, [1], { h: c.disposed, c: c.disposed })),
  bad('generate', 'beamSearch', 'beamWidth', InvalidArgumentError, (c) => beamSearch(c.model, [1], { beamWidth: 0, lengthPenalty: 1, maxTokens: 3, processors: [], isFinished: () => false, beforeStep: async () => {}, textOf: () => '' })),
  bad('generate', 'Generator', 'vocab.tokens', InvalidArgumentError, (c) => new Generator({ model: c.model, vocab: { tokens: ['a'], unk: null } })),
  bad('generate', 'Generator.generate', 'prefix', InvalidArgumentError, (c) => c.generator.generate('')),
  bad('generate', 'Generator.generate', 'prefix', VocabError, (c) => c.generator.generate('az', { unknown: 'error' })),
  bad('generate', 'Generator.generate', 'temperature', InvalidArgumentError, (c) => c.generator.generate('ab', { temperature: -1 })),
  bad('generate', 'Generator.generate', 'stopTokens', VocabError, (c) => c.generator.generate('ab', { stopTokens: ['zz'] })),
  bad('generate', 'Generator.generateBatch', 'prefixes[1]', InvalidArgumentError, (c) => c.generator.generateBatch(['ab', 3 as never])),
  bad('generate', 'Generator.firstStepLogits', 'prefix', InvalidArgumentError, (c) => c.generator.firstStepLogits(null as never)),
  bad('generate', 'generatorFromCheckpointFiles', 'safetensors', InvalidArgumentError, (c) => generatorFromCheckpointFiles(configJson(c, {}), 'weights' as never)),
  bad('generate', 'generatorFromCheckpointFiles', 'rnn.weight_ih_l0', CheckpointError, (c) => generatorFromCheckpointFiles(configJson(c, { cell: 'gru' }), modelBytes(c))),
  bad('generate', 'fetchGenerator', 'url', InvalidArgumentError, () => fetchGenerator('')),
  bad('generate', 'loadGenerator', 'dir', InvalidArgumentError, () => loadGenerator(7 as never)),
  bad('generate', 'loadGenerator', 'config.json', CheckpointError, (c) => loadGenerator(join(c.dir, 'no-such-checkpoint'))),
];

/** Every file and folder under `dir` with its size (what "nothing changed on disk" compares). */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${rel}${e.name}/`);
        await walk(p, `${rel}${e.name}/`);
      } else out.push(`${rel}${e.name} ${(await stat(p)).size}`);
    }
  };
  await walk(dir, '');
  return out;
}

/** The model's weights as raw bits. */
function weightBits(model: LanguageModel): Uint32Array[] {
  return model.parameters().map((p) => new Uint32Array((p.value.dataSync() as Float32Array).slice().buffer));
}

let ctx: Ctx;
beforeAll(async () => {
  await init();
  manualSeed(0);
  const dir = await mkdtemp(join(tmpdir(), 'recurrent-api-refusals-'));
  const vocab = new Vocab(['a', 'b', 'c', 'd'], { unk: '<unk>' });
  const model = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: V, hiddenSize: 4, random: new Random(1) });
  const optimizer = new SGD(model.parameters(), { lr: 0.5 });
  const trainer = new Trainer({ model, optimizer, clipNorm: 1 });
  // One real step first, so the optimizer and the trainer hold state a refusal could disturb.
  trainer.trainStep({ x: Int32Array.of(0, 1, 2, 3, 4, 0), y: Int32Array.of(1, 2, 3, 4, 0, 1), shape: [2, 3] }, null).state.h.dispose();
  const ckpt = join(dir, 'ckpt');
  await saveCheckpoint(ckpt, { model, optimizer, trainer: trainer.getState(), tokenizer: { level: 'char', preprocess: 'none' }, vocab });
  const disposed = tf.zeros([2, 4]);
  disposed.dispose();
  const disposedIds = tf.tensor2d([[0, 1, 2]], [1, 3], 'int32');
  disposedIds.dispose();
  const p = tf.zeros([2]);
  const param = new Parameter(p);
  p.dispose();
  ctx = {
    dir,
    ckpt,
    model,
    vocab,
    optimizer,
    trainer,
    generator: new Generator({ model, vocab: { tokens: vocab.tokens, unk: vocab.unk } }),
    x: tf.randomNormal([2, 3, 4]),
    ids: tf.tensor2d([[0, 1, 2], [3, 4, 0]], [2, 3], 'int32'),
    disposed,
    disposedIds,
    param,
  };
});

afterAll(async () => {
  tf.dispose([ctx.x, ctx.ids]);
  ctx.param.dispose();
  ctx.optimizer.dispose();
  ctx.model.dispose();
  await rm(ctx.dir, { recursive: true, force: true });
});

describe('the public API refuses bad input cleanly', () => {
  it(`has at least 100 cases over all six packages (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    const per: Record<string, number> = {};
    for (const c of CASES) per[c.pkg] = (per[c.pkg] ?? 0) + 1;
    expect(Object.keys(per).sort()).toEqual(['core', 'datasets', 'generate', 'layers', 'tokenizers', 'train']);
    console.log(`api refusals: ${CASES.length} cases (${Object.entries(per).map(([k, n]) => `${k} ${n}`).join(', ')})`);
  });

  for (const [i, c] of CASES.entries()) {
    it(`${String(i + 1).padStart(3, '0')} ${c.pkg} ${c.call}: '${c.argument}' → ${c.error.name}`, async () => {
      const before = tf.memory().numTensors;
      const weights = c.weights ? weightBits(ctx.model) : null;
      const disk = await listing(ctx.dir);
      let error: unknown;
      try {
        await c.run(ctx);
      } catch (e) {
        error = e;
      }
      // Live now: what there was, the case's own argument tensors, and anything the refusal leaked.
      const leaked = tf.memory().numTensors - before - args.filter((t) => !t.isDisposed).length;
      tf.dispose(args.splice(0));
      expect(error, 'no error was thrown').toBeDefined();
      expect(RecurrentError.isInstance(error), `not a typed error: ${String(error)}`).toBe(true);
      expect(error).toBeInstanceOf(c.error);
      expect((error as Error).message).toContain(c.argument);
      expect(leaked, 'tensors left behind by the refusal').toBe(0);
      expect(tf.memory().numTensors).toBe(before);
      if (weights) expect(weightBits(ctx.model)).toEqual(weights);
      expect(await listing(ctx.dir)).toEqual(disk);
    });
  }
});
