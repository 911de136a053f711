import { CheckpointError, InvalidArgumentError, SafetensorsError, checkOneOf, decodeSafetensors, encodeSafetensors, parseSafetensors, tf, type Tensor } from '@recurrent/core';
import { LanguageModel } from '../lm/language-model';
import {
  checkWeightsMatchConfig,
  parseCheckpointConfig,
  type CheckpointConfig,
  type CheckpointTokenizer,
  type CheckpointTrainedWith,
  type CheckpointVocab,
  CHECKPOINT_FORMAT,
} from './config';

export const CONFIG_FILE = 'config.json';
export const MODEL_FILE = 'model.safetensors';

/** What a checkpoint stores beside the model: the tokenizer and the vocabulary (or a `Vocab`). */
export interface CheckpointMeta {
  tokenizer: CheckpointTokenizer;
  vocab: CheckpointVocab | { toConfig(): CheckpointVocab } | { tokens: readonly string[]; unk: string | null };
  /** Optional metadata (config key `trainedWith`), e.g. a loaded config's, written back as is. */
  trainedWith?: CheckpointTrainedWith;
}

function vocabOf(v: CheckpointMeta['vocab']): CheckpointVocab {
  const plain = 'toConfig' in v && typeof v.toConfig === 'function' ? v.toConfig() : (v as CheckpointVocab);
  return { tokens: [...plain.tokens], unk: plain.unk };
}

/**
 * Checks what a save is given before anything is written: a `LanguageModel`, and a tokenizer and
 * vocabulary of the checkpoint format's kinds. `names` say how the caller calls them.
 */
export function checkModelAndMeta(fn: string, model: unknown, meta: unknown, names: { model: string; meta: string } = { model: 'model', meta: 'meta' }): void {
  if (!(model instanceof LanguageModel)) throw new InvalidArgumentError({ fn, argument: names.model, expected: 'a LanguageModel', received: model });
  if (meta === null || typeof meta !== 'object') throw new InvalidArgumentError({ fn, argument: names.meta, expected: 'an object with tokenizer and vocab', received: meta });
  const { tokenizer, vocab } = meta as Partial<CheckpointMeta>;
  if (tokenizer === null || typeof tokenizer !== 'object') {
    throw new InvalidArgumentError({ fn, argument: `${names.meta}.tokenizer`, expected: "an object { level, preprocess }", received: tokenizer });
  }
  checkOneOf(fn, `${names.meta}.tokenizer.level`, tokenizer.level, ['char', 'word', 'jieba'] as const);
  checkOneOf(fn, `${names.meta}.tokenizer.preprocess`, tokenizer.preprocess, ['d2l', 'none'] as const);
  const plain = vocab !== null && typeof vocab === 'object' && 'toConfig' in vocab && typeof vocab.toConfig === 'function' ? vocab.toConfig() : vocab;
  if (plain === null || typeof plain !== 'object' || !Array.isArray((plain as CheckpointVocab).tokens)) {
    throw new InvalidArgumentError({ fn, argument: `${names.meta}.vocab`, expected: 'a Vocab or { tokens, unk }', received: vocab });
  }
}

/** The `config.json` describing `model` with its tokenizer and vocabulary (checked). */
export function checkpointConfigFromModel(model: LanguageModel, meta: CheckpointMeta): CheckpointConfig {
  checkModelAndMeta('checkpointConfigFromModel', model, meta);
  const c = model.config;
  const vocab = vocabOf(meta.vocab);
  if (vocab.tokens.length !== c.vocabSize) {
    throw new CheckpointError(`checkpointConfigFromModel: the vocabulary has ${vocab.tokens.length} tokens but the model's vocabSize is ${c.vocabSize}`);
  }
  return parseCheckpointConfig({
    format: CHECKPOINT_FORMAT,
    cell: c.cell,
    nonlinearity: c.nonlinearity ?? 'tanh',
    input: c.input,
    embeddingDim: c.input === 'embedding' ? (c.embeddingDim ?? null) : null,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers ?? 1,
    bidirectional: false,
    dropout: c.dropout ?? 0,
    tokenizer: { level: meta.tokenizer.level, preprocess: meta.tokenizer.preprocess },
    vocab,
    ...(meta.trainedWith ? { trainedWith: meta.trainedWith } : {}),
  });
}

/**
 * The two files of a model checkpoint, `config.json` and `model.safetensors`, as bytes/text.
 * Train merges them with its own files and writes everything with `writeCheckpointFiles`.
 */
export function modelCheckpointFiles(model: LanguageModel, meta: CheckpointMeta): Record<string, Uint8Array | string> {
  checkModelAndMeta('modelCheckpointFiles', model, meta);
  const config = checkpointConfigFromModel(model, meta);
  const dict = model.stateDict();
  try {
    checkWeightsMatchConfig(config, dict);
    return { [CONFIG_FILE]: `${JSON.stringify(config, null, 2)}\n`, [MODEL_FILE]: encodeSafetensors(dict, { format: 'pt' }) };
  } finally {
    tf.dispose(Object.values(dict));
  }
}

/**
 * Builds the model from the two files' contents (works in the browser: no file system). The
 * weights must be exactly those the config implies: a mismatch is a `CheckpointError` naming
 * the tensor, raised before the model is built.
 */
export function modelFromCheckpointFiles(configJson: unknown, safetensors: Uint8Array): { config: CheckpointConfig; model: LanguageModel } {
  const fn = 'modelFromCheckpointFiles';
  if (!(safetensors instanceof Uint8Array)) {
    throw new InvalidArgumentError({ fn, argument: 'safetensors', expected: `the bytes of ${MODEL_FILE} (a Uint8Array)`, received: safetensors });
  }
  let json = configJson;
  if (json instanceof Uint8Array) json = new TextDecoder().decode(json);
  const config = parseCheckpointConfig(json);
  const { tensors } = readSafetensors(MODEL_FILE, () => parseSafetensors(safetensors)); // header + data checks, no tensors yet
  checkWeightsMatchConfig(config, tensors);
  const weights: Record<string, Tensor> = readSafetensors(MODEL_FILE, () => decodeSafetensors(safetensors));
  try {
    const model = new LanguageModel({
      cell: config.cell,
      nonlinearity: config.nonlinearity,
      input: config.input,
      embeddingDim: config.embeddingDim,
      vocabSize: config.vocab.tokens.length,
      hiddenSize: config.hiddenSize,
      numLayers: config.numLayers,
      dropout: config.dropout,
    });
    try {
      model.loadStateDict(weights, { strict: true });
    } catch (cause) {
      model.dispose();
      throw new CheckpointError(`checkpoint: the weights do not load into the model (${(cause as Error).message})`, { cause });
    }
    model.eval();
    return { config, model };
  } finally {
    tf.dispose(Object.values(weights));
  }
}

/** Runs a safetensors read; a malformed file becomes a `CheckpointError` naming the checkpoint's file. */
export function readSafetensors<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (cause instanceof SafetensorsError) throw new CheckpointError(`checkpoint: ${file} is not a valid safetensors file (${cause.message})`, { cause });
    throw cause;
  }
}
