import { CheckpointError, describe } from '@recurrent/core';

/** The only checkpoint format this version reads and writes. */
export const CHECKPOINT_FORMAT = 'recurrent-lm/1';

export type CheckpointCell = 'lstm' | 'gru' | 'rnn';
export type CheckpointTokenizerLevel = 'char' | 'word' | 'jieba';
export type CheckpointPreprocess = 'd2l' | 'none';

export interface CheckpointTokenizer {
  level: CheckpointTokenizerLevel;
  preprocess: CheckpointPreprocess;
}

export interface CheckpointVocab {
  /** `tokens[i]` is the token with id i. */
  tokens: string[];
  /** The token unknown tokens map to, or null when the vocabulary has none. */
  unk: string | null;
}

/**
 * What trained a checkpoint's weights, e.g. `{ engine: 'torch.distributed', backend: 'gloo',
 * worldSize: 2 }` for PyTorch's DistributedDataParallel on two processes. Metadata only: it does
 * not change how the model is built or run.
 */
export interface CheckpointTrainedWith {
  /** The training engine, e.g. `'torch.distributed'`. */
  engine: string;
  /** Its communication backend, e.g. `'gloo'` or `'nccl'`. */
  backend?: string;
  /** How many processes trained together. */
  worldSize?: number;
}

/** `config.json` of a `recurrent-lm/1` checkpoint (see the checkpoint README, `src/checkpoint/README.md`). */
export interface CheckpointConfig {
  format: typeof CHECKPOINT_FORMAT;
  cell: CheckpointCell;
  nonlinearity: 'tanh' | 'relu';
  input: 'one-hot' | 'embedding';
  embeddingDim: number | null;
  hiddenSize: number;
  numLayers: number;
  bidirectional: false;
  dropout: number;
  tokenizer: CheckpointTokenizer;
  vocab: CheckpointVocab;
  /** Optional metadata: what trained the weights (kept on load, written back on save). */
  trainedWith?: CheckpointTrainedWith;
}

const KEYS = [
  'format',
  'cell',
  'nonlinearity',
  'input',
  'embeddingDim',
  'hiddenSize',
  'numLayers',
  'bidirectional',
  'dropout',
  'tokenizer',
  'vocab',
] as const;
const OPTIONAL_KEYS = ['trainedWith'] as const;

function fail(key: string, expected: string, received: unknown): never {
  throw new CheckpointError(`parseCheckpointConfig: '${key}' must be ${expected}, got ${describe(received)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactKeys(where: string, obj: Record<string, unknown>, keys: readonly string[], optional: readonly string[] = []): void {
  for (const k of keys) {
    if (!Object.hasOwn(obj, k)) throw new CheckpointError(`parseCheckpointConfig: missing key '${where}${k}'`);
  }
  for (const k of Object.keys(obj)) {
    if (!keys.includes(k) && !optional.includes(k)) {
      const allowed = optional.length > 0 ? `${keys.join(', ')} and optionally ${optional.join(', ')}` : `exactly ${keys.join(', ')}`;
      throw new CheckpointError(`parseCheckpointConfig: unknown key '${where}${k}' (expected ${allowed})`);
    }
  }
}

function oneOf<T extends string | boolean>(key: string, v: unknown, choices: readonly T[]): T {
  if (!choices.includes(v as T)) fail(key, `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, v);
  return v as T;
}

/** Sizes and counts: positive integers below 2^31 (1e308 is an integer too, and no model). */
function positiveInt(key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) fail(key, 'a positive integer (below 2^31)', v);
  return v;
}

function nonEmptyString(key: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) fail(key, 'a non-empty string', v);
  return v;
}

/** Checks the optional `trainedWith` object: `engine` (required), `backend`, `worldSize`. */
function parseTrainedWith(v: unknown): CheckpointTrainedWith {
  if (!isObject(v)) fail('trainedWith', 'an object {engine, backend?, worldSize?}', v);
  exactKeys('trainedWith.', v, ['engine'], ['backend', 'worldSize']);
  const out: CheckpointTrainedWith = { engine: nonEmptyString('trainedWith.engine', v.engine) };
  if (Object.hasOwn(v, 'backend')) out.backend = nonEmptyString('trainedWith.backend', v.backend);
  if (Object.hasOwn(v, 'worldSize')) out.worldSize = positiveInt('trainedWith.worldSize', v.worldSize);
  return out;
}

/**
 * Checks a parsed `config.json` (or its text) and returns it typed. Exactly the format's keys are
 * accepted, plus the optional `trainedWith` metadata (kept in the result, so a save writes it
 * back); anything else is a `CheckpointError` naming the key and the bad value.
 */
export function parseCheckpointConfig(json: unknown): CheckpointConfig {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (cause) {
      throw new CheckpointError(`parseCheckpointConfig: config.json is not valid JSON (${(cause as Error).message})`, { cause });
    }
  }
  if (!isObject(json)) fail('config', 'a JSON object', json);
  exactKeys('', json, KEYS, OPTIONAL_KEYS);
  oneOf('format', json.format, [CHECKPOINT_FORMAT]);
  const cell = oneOf('cell', json.cell, ['lstm', 'gru', 'rnn'] as const);
  const nonlinearity = oneOf('nonlinearity', json.nonlinearity, ['tanh', 'relu'] as const);
  if (nonlinearity === 'relu' && cell !== 'rnn') fail('nonlinearity', `"tanh" for cell "${cell}"`, nonlinearity);
  const input = oneOf('input', json.input, ['one-hot', 'embedding'] as const);
  let embeddingDim: number | null = null;
  if (input === 'embedding') embeddingDim = positiveInt('embeddingDim', json.embeddingDim);
  else if (json.embeddingDim !== null) fail('embeddingDim', 'null when input is "one-hot"', json.embeddingDim);
  const hiddenSize = positiveInt('hiddenSize', json.hiddenSize);
  const numLayers = positiveInt('numLayers', json.numLayers);
  oneOf('bidirectional', json.bidirectional, [false]);
  const dropout = json.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) fail('dropout', 'a number in [0, 1)', dropout);

  const tok = json.tokenizer;
  if (!isObject(tok)) fail('tokenizer', 'an object {level, preprocess}', tok);
  exactKeys('tokenizer.', tok, ['level', 'preprocess']);
  const level = oneOf('tokenizer.level', tok.level, ['char', 'word', 'jieba'] as const);
  const preprocess = oneOf('tokenizer.preprocess', tok.preprocess, ['d2l', 'none'] as const);

  const vocab = json.vocab;
  if (!isObject(vocab)) fail('vocab', 'an object {tokens, unk}', vocab);
  exactKeys('vocab.', vocab, ['tokens', 'unk']);
  const tokens = vocab.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0) fail('vocab.tokens', 'a non-empty array of strings', tokens);
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    if (typeof t !== 'string') fail(`vocab.tokens[${i}]`, 'a string', t);
    if (seen.has(t)) fail(`vocab.tokens[${i}]`, 'unique', t);
    seen.add(t);
  });
  const unk = vocab.unk;
  if (unk !== null && (typeof unk !== 'string' || !seen.has(unk))) fail('vocab.unk', 'null or one of vocab.tokens', unk);

  const trainedWith = Object.hasOwn(json, 'trainedWith') ? parseTrainedWith(json.trainedWith) : undefined;

  return {
    format: CHECKPOINT_FORMAT,
    cell,
    nonlinearity,
    input,
    embeddingDim,
    hiddenSize,
    numLayers,
    bidirectional: false,
    dropout,
    tokenizer: { level, preprocess },
    vocab: { tokens: [...(tokens as string[])], unk: unk as string | null },
    ...(trainedWith ? { trainedWith } : {}),
  };
}

/**
 * The tensors a config implies, name to shape, in the README's table: `embedding.weight` when
 * the input is an embedding, `rnn.{weight,bias}_{ih,hh}_l{k}` per layer, `linear.weight/bias`.
 */
export function checkpointTensorShapes(config: CheckpointConfig): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const [name, shape] of tensorShapes(config)) shapes[name] = shape;
  return shapes;
}

/** The config's tensors one by one (a reader stops at the first one the weights lack). */
function* tensorShapes(config: CheckpointConfig): Generator<[string, number[]]> {
  const V = config.vocab.tokens.length;
  const H = config.hiddenSize;
  const G = config.cell === 'lstm' ? 4 : config.cell === 'gru' ? 3 : 1;
  if (config.input === 'embedding') yield ['embedding.weight', [V, config.embeddingDim as number]];
  for (let k = 0; k < config.numLayers; k++) {
    const inSize = k > 0 ? H : config.input === 'embedding' ? (config.embeddingDim as number) : V;
    yield [`rnn.weight_ih_l${k}`, [G * H, inSize]];
    yield [`rnn.weight_hh_l${k}`, [G * H, H]];
    yield [`rnn.bias_ih_l${k}`, [G * H]];
    yield [`rnn.bias_hh_l${k}`, [G * H]];
  }
  yield ['linear.weight', [V, H]];
  yield ['linear.bias', [V]];
}

/**
 * Checks that the tensors (name to dtype and shape) are exactly those the config implies; a
 * mismatch is a `CheckpointError` naming the tensor. It stops at the first tensor the weights
 * lack, so a config that claims 2^31 layers costs no more than the weights it comes with.
 */
export function checkWeightsMatchConfig(config: CheckpointConfig, tensors: Record<string, { shape: readonly number[]; dtype: string }>): void {
  const summary = `${config.cell}, input ${config.input}, V=${config.vocab.tokens.length}, H=${config.hiddenSize}, L=${config.numLayers}`;
  const wanted = new Set<string>();
  for (const [name, shape] of tensorShapes(config)) {
    wanted.add(name);
    const t = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
    if (!t) throw new CheckpointError(`checkpoint: tensor '${name}' of shape [${shape.join(', ')}] is missing from the weights (config: ${summary})`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `checkpoint: tensor '${name}' has shape [${t.shape.join(', ')}] but the config (${summary}) needs [${shape.join(', ')}]`,
      );
    }
    if (t.dtype !== 'F32' && t.dtype !== 'float32') {
      throw new CheckpointError(`checkpoint: tensor '${name}' has dtype ${t.dtype}, expected F32`);
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!wanted.has(name)) throw new CheckpointError(`checkpoint: unexpected tensor '${name}' in the weights (config: ${summary})`);
  }
}
