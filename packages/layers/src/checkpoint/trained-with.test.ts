import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, Random, init, tf } from '@recurrent/core';
import { LanguageModel } from '../lm/language-model';
import { parseCheckpointConfig } from './config';
import { CONFIG_FILE, MODEL_FILE, modelCheckpointFiles, modelFromCheckpointFiles } from './model-checkpoint';

// `trainedWith`: the one optional key of `recurrent-lm/1`, metadata about what trained the weights
// (PyTorch's DistributedDataParallel writes it), kept on load and written back on save.

const tokens = ['<unk>', ' ', 'a', 'b'];
const ddp = { engine: 'torch.distributed', backend: 'gloo', worldSize: 2 };

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'recurrent-lm/1',
    cell: 'gru',
    nonlinearity: 'tanh',
    input: 'embedding',
    embeddingDim: 3,
    hiddenSize: 4,
    numLayers: 2,
    bidirectional: false,
    dropout: 0,
    tokenizer: { level: 'char', preprocess: 'none' },
    vocab: { tokens: [...tokens], unk: '<unk>' },
    ...extra,
  };
}

beforeAll(async () => {
  await init();
});

describe('trainedWith', () => {
  it('is kept, typed, when present and absent when not', () => {
    expect(parseCheckpointConfig(config({ trainedWith: ddp })).trainedWith).toEqual(ddp);
    expect(parseCheckpointConfig(config({ trainedWith: { engine: 'recurrent' } })).trainedWith).toEqual({ engine: 'recurrent' });
    expect('trainedWith' in parseCheckpointConfig(config())).toBe(false);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'ddp', /'trainedWith' must be an object \{engine, backend\?, worldSize\?\}, got "ddp"/],
    ['without engine', { backend: 'gloo' }, /missing key 'trainedWith.engine'/],
    ['an empty engine', { engine: '' }, /'trainedWith.engine' must be a non-empty string, got ""/],
    ['a backend that is not a string', { engine: 'torch.distributed', backend: 1 }, /'trainedWith.backend' must be a non-empty string, got 1/],
    ['worldSize 0', { engine: 'torch.distributed', worldSize: 0 }, /'trainedWith.worldSize' must be a positive integer \(below 2\^31\), got 0/],
    ['worldSize 2.5', { engine: 'torch.distributed', worldSize: 2.5 }, /'trainedWith.worldSize' must be a positive integer \(below 2\^31\), got 2.5/],
    ['an unknown key', { ...ddp, nodes: 4 }, /unknown key 'trainedWith.nodes' \(expected engine and optionally backend, worldSize\)/],
  ];
  for (const [label, value, pattern] of bad) {
    it(`refuses ${label} with a CheckpointError naming the key`, () => {
      expect(() => parseCheckpointConfig(config({ trainedWith: value }))).toThrow(CheckpointError);
      expect(() => parseCheckpointConfig(config({ trainedWith: value }))).toThrow(pattern);
    });
  }

  it('still refuses other unknown top-level keys, naming the optional one', () => {
    expect(() => parseCheckpointConfig(config({ trainedBy: ddp }))).toThrow(/unknown key 'trainedBy' \(expected format, .*, vocab and optionally trainedWith\)/);
  });

  it('goes through the files: loaded as metadata, written back on save, the same model either way', () => {
    const model = new LanguageModel({ cell: 'gru', input: 'embedding', embeddingDim: 3, vocabSize: tokens.length, hiddenSize: 4, numLayers: 2, random: new Random(3) });
    const meta = { tokenizer: { level: 'char', preprocess: 'none' } as const, vocab: { tokens, unk: '<unk>' } };
    const plain = modelCheckpointFiles(model, meta);
    expect(JSON.parse(plain[CONFIG_FILE] as string)).not.toHaveProperty('trainedWith'); // Recurrent's own saves are unchanged
    const files = modelCheckpointFiles(model, { ...meta, trainedWith: ddp });
    expect(JSON.parse(files[CONFIG_FILE] as string).trainedWith).toEqual(ddp);
    const before = tf.memory().numTensors;
    const loaded = modelFromCheckpointFiles(files[CONFIG_FILE], files[MODEL_FILE] as Uint8Array);
    expect(loaded.config.trainedWith).toEqual(ddp);
    // Saving the loaded model with its config's metadata gives the same two files.
    const again = modelCheckpointFiles(loaded.model, { tokenizer: loaded.config.tokenizer, vocab: loaded.config.vocab, trainedWith: loaded.config.trainedWith });
    expect(again[CONFIG_FILE]).toBe(files[CONFIG_FILE]);
    expect(Array.from(again[MODEL_FILE] as Uint8Array)).toEqual(Array.from(files[MODEL_FILE] as Uint8Array));
    loaded.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
