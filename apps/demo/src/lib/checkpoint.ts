import { CheckpointError, decodeSafetensors, encodeSafetensors } from '@recurrent/core';
import { Vocab } from '@recurrent/tokenizers';
import { DEFAULT_SESSION, TrainingSession, type SessionConfig } from './session';

/** The `config.json` of a `recurrent-lm/1` checkpoint (see the checkpoint format README). */
export interface LmCheckpointConfig {
  format: 'recurrent-lm/1';
  cell: 'lstm' | 'gru' | 'rnn';
  nonlinearity: 'tanh';
  input: 'one-hot' | 'embedding';
  embeddingDim: number | null;
  hiddenSize: number;
  numLayers: number;
  bidirectional: false;
  dropout: number;
  tokenizer: { level: 'char' | 'word' | 'jieba'; preprocess: 'd2l' | 'none' };
  vocab: { tokens: string[]; unk: string | null };
}

/** The two files of a checkpoint, in memory (the browser downloads them; Node writes them). */
export function checkpointFiles(session: TrainingSession): { config: string; weights: Uint8Array } {
  const c = session.config;
  const config: LmCheckpointConfig = {
    format: 'recurrent-lm/1',
    cell: c.cell,
    nonlinearity: 'tanh',
    input: c.embeddingDim === null ? 'one-hot' : 'embedding',
    embeddingDim: c.embeddingDim,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    bidirectional: false,
    dropout: 0,
    tokenizer: { ...c.tokenizer },
    vocab: session.vocab.toConfig(),
  };
  const dict = session.model.stateDict();
  try {
    return { config: `${JSON.stringify(config, null, 2)}\n`, weights: encodeSafetensors(dict) };
  } finally {
    for (const t of Object.values(dict)) t.dispose();
  }
}

const CELLS = ['lstm', 'gru', 'rnn'];
const LEVELS = ['char', 'word', 'jieba'];

/** Reads a `config.json` text, refusing what this demo cannot run with a typed error naming the key. */
export function parseLmConfig(text: string): LmCheckpointConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`config.json is not valid JSON (${(error as Error).message})`);
  }
  const o = json as Record<string, unknown>;
  const bad = (key: string, expected: string): never => {
    throw new CheckpointError(`config.json: '${key}' must be ${expected}, got ${JSON.stringify(o?.[key])}`);
  };
  if (typeof o !== 'object' || o === null) throw new CheckpointError('config.json must hold an object');
  if (o.format !== 'recurrent-lm/1') bad('format', '"recurrent-lm/1"');
  if (!CELLS.includes(o.cell as string)) bad('cell', '"lstm", "gru" or "rnn"');
  if (o.input !== 'one-hot' && o.input !== 'embedding') bad('input', '"one-hot" or "embedding"');
  if (o.input === 'embedding' && !(Number.isInteger(o.embeddingDim) && (o.embeddingDim as number) > 0)) bad('embeddingDim', 'a positive integer');
  if (!(Number.isInteger(o.hiddenSize) && (o.hiddenSize as number) > 0)) bad('hiddenSize', 'a positive integer');
  if (!(Number.isInteger(o.numLayers) && (o.numLayers as number) > 0)) bad('numLayers', 'a positive integer');
  const tok = o.tokenizer as Record<string, unknown> | undefined;
  if (!tok || !LEVELS.includes(tok.level as string) || (tok.preprocess !== 'd2l' && tok.preprocess !== 'none')) {
    bad('tokenizer', '{"level": "char"|"word"|"jieba", "preprocess": "d2l"|"none"}');
  }
  const vocab = o.vocab as Record<string, unknown> | undefined;
  if (!vocab || !Array.isArray(vocab.tokens) || !vocab.tokens.every((t) => typeof t === 'string')) bad('vocab', '{"tokens": [strings], "unk": string|null}');
  return o as unknown as LmCheckpointConfig;
}

/** The session settings a checkpoint implies (training settings get the defaults). */
export function sessionConfigOf(config: LmCheckpointConfig, defaults: SessionConfig): SessionConfig {
  return {
    ...defaults,
    cell: config.cell,
    hiddenSize: config.hiddenSize,
    numLayers: config.numLayers,
    embeddingDim: config.input === 'embedding' ? config.embeddingDim : null,
    tokenizer: { ...config.tokenizer },
  };
}

/** A session (generation only until trained again) from a checkpoint's two files. */
export async function sessionFromCheckpoint(configText: string, weights: Uint8Array, defaults: SessionConfig = DEFAULT_SESSION): Promise<TrainingSession> {
  const config = parseLmConfig(configText);
  const vocab = Vocab.fromJSON({ ...config.vocab });
  const tensors = decodeSafetensors(weights);
  try {
    return TrainingSession.restore(sessionConfigOf(config, defaults), vocab, tensors);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
