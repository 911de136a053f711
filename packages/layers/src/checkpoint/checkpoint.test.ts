import { mkdtemp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, Random, encodeSafetensors, init, parseSafetensors, tf } from '@recurrent/core';
import { LanguageModel } from '../lm/language-model';
import { checkpointTensorShapes, parseCheckpointConfig, type CheckpointConfig } from './config';
import { recoverCheckpointDir, writeCheckpointFiles } from './directory';
import { checkpointConfigFromModel, modelFromCheckpointFiles } from './model-checkpoint';
import { readModelCheckpoint, writeModelCheckpoint } from './model-directory';

const tokens = ['<unk>', ' ', 'a', 'b', 'c'];
const meta = { tokenizer: { level: 'char', preprocess: 'none' } as const, vocab: { tokens, unk: '<unk>' } };

function goodConfig(): Record<string, unknown> {
  return {
    format: 'recurrent-lm/1',
    cell: 'lstm',
    nonlinearity: 'tanh',
    input: 'one-hot',
    embeddingDim: null,
    hiddenSize: 8,
    numLayers: 1,
    bidirectional: false,
    dropout: 0,
    tokenizer: { level: 'char', preprocess: 'd2l' },
    vocab: { tokens: [...tokens], unk: '<unk>' },
  };
}

let root: string;
beforeAll(async () => {
  await init();
  root = await mkdtemp(join(tmpdir(), 'recurrent-ckpt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function logitsOf(model: LanguageModel, ids: number[][]): Float32Array {
  const x = tf.tensor2d(ids, undefined, 'int32');
  const { logits, state } = model.forward(x);
  const out = logits.dataSync() as Float32Array;
  tf.dispose([x, logits, state.h, state.c as tf.Tensor].filter(Boolean));
  return out;
}

describe('parseCheckpointConfig', () => {
  it('accepts exactly the README keys, from an object or JSON text, jieba level included', () => {
    const c = parseCheckpointConfig(goodConfig());
    expect(c.cell).toBe('lstm');
    expect(c.vocab.tokens).toEqual(tokens);
    const j = goodConfig();
    j.tokenizer = { level: 'jieba', preprocess: 'none' };
    j.input = 'embedding';
    j.embeddingDim = 4;
    expect(parseCheckpointConfig(JSON.stringify(j)).tokenizer.level).toBe('jieba');
  });

  const bad: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ['missing key', (c) => delete c.hiddenSize, /missing key 'hiddenSize'/],
    ['unknown key', (c) => (c.learningRate = 1), /unknown key 'learningRate'/],
    ['wrong format', (c) => (c.format = 'recurrent-lm/2'), /'format' must be one of "recurrent-lm\/1", got "recurrent-lm\/2"/],
    ['bad cell', (c) => (c.cell = 'transformer'), /'cell' must be one of "lstm", "gru", "rnn", got "transformer"/],
    ['hiddenSize not a positive integer', (c) => (c.hiddenSize = 2.5), /'hiddenSize' must be a positive integer \(below 2\^31\), got 2.5/],
    ['embeddingDim with one-hot input', (c) => (c.embeddingDim = 4), /'embeddingDim' must be null when input is "one-hot", got 4/],
    ['bidirectional', (c) => (c.bidirectional = true), /'bidirectional' must be one of false, got true/],
    ['dropout out of range', (c) => (c.dropout = 1.5), /'dropout' must be a number in \[0, 1\), got 1.5/],
    ['tokenizer level', (c) => (c.tokenizer = { level: 'bpe', preprocess: 'none' }), /'tokenizer.level' must be one of "char", "word", "jieba", got "bpe"/],
    ['tokenizer extra key', (c) => (c.tokenizer = { level: 'char', preprocess: 'none', lower: true }), /unknown key 'tokenizer.lower'/],
    ['duplicate vocab token', (c) => (c.vocab = { tokens: ['a', 'b', 'a'], unk: null }), /'vocab.tokens\[2\]' must be unique, got "a"/],
    ['unk not in tokens', (c) => (c.vocab = { tokens: ['a'], unk: '<unk>' }), /'vocab.unk' must be null or one of vocab.tokens, got "<unk>"/],
    ['relu for an lstm', (c) => (c.nonlinearity = 'relu'), /'nonlinearity' must be "tanh" for cell "lstm", got "relu"/],
  ];
  for (const [label, mutate, pattern] of bad) {
    it(`refuses ${label} with a CheckpointError naming the key`, () => {
      const c = goodConfig();
      mutate(c);
      expect(() => parseCheckpointConfig(c)).toThrow(CheckpointError);
      expect(() => parseCheckpointConfig(c)).toThrow(pattern);
    });
  }

  it('refuses text that is not JSON and values that are not objects', () => {
    expect(() => parseCheckpointConfig('{"format":')).toThrow(/not valid JSON/);
    expect(() => parseCheckpointConfig([1])).toThrow(/'config' must be a JSON object/);
  });

  it('gives the README tensor table', () => {
    const c = parseCheckpointConfig({ ...goodConfig(), cell: 'gru', input: 'embedding', embeddingDim: 3, numLayers: 2 });
    expect(checkpointTensorShapes(c)).toEqual({
      'embedding.weight': [5, 3],
      'rnn.weight_ih_l0': [24, 3],
      'rnn.weight_hh_l0': [24, 8],
      'rnn.bias_ih_l0': [24],
      'rnn.bias_hh_l0': [24],
      'rnn.weight_ih_l1': [24, 8],
      'rnn.weight_hh_l1': [24, 8],
      'rnn.bias_ih_l1': [24],
      'rnn.bias_hh_l1': [24],
      'linear.weight': [5, 8],
      'linear.bias': [5],
    });
  });
});

describe('model checkpoints', () => {
  const variants = [
    { cell: 'lstm', input: 'one-hot', numLayers: 1 },
    { cell: 'gru', input: 'embedding', embeddingDim: 3, numLayers: 2 },
    { cell: 'rnn', input: 'embedding', embeddingDim: 4, numLayers: 1, nonlinearity: 'relu' },
  ] as const;
  for (const v of variants) {
    it(`writes and reads back a ${v.cell} ${v.input} model with the same outputs`, async () => {
      const model = new LanguageModel({ ...v, vocabSize: tokens.length, hiddenSize: 6, random: new Random(3) });
      const dir = join(root, `rt-${v.cell}`);
      await writeModelCheckpoint(dir, model, meta);
      expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as CheckpointConfig;
      expect(config).toEqual(checkpointConfigFromModel(model, meta));
      expect(Object.keys(config)).toEqual(Object.keys(goodConfig()));
      const { tensors, metadata } = parseSafetensors(new Uint8Array(await readFile(join(dir, 'model.safetensors'))));
      expect(metadata).toEqual({ format: 'pt' });
      expect(Object.keys(tensors).sort()).toEqual(Object.keys(checkpointTensorShapes(config)).sort());

      const back = await readModelCheckpoint(dir);
      const ids = [
        [1, 2, 3, 4],
        [0, 4, 2, 2],
      ];
      expect(Array.from(logitsOf(back.model, ids))).toEqual(Array.from(logitsOf(model, ids)));
      model.dispose();
      back.model.dispose();
    });
  }

  it('keeps files it does not write (the trainer adds its own), replacing the model files atomically', async () => {
    const dir = join(root, 'keep');
    const a = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: 5, hiddenSize: 4, random: new Random(1) });
    const b = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: 5, hiddenSize: 4, random: new Random(2) });
    await writeCheckpointFiles(dir, { 'trainer.json': '{"step":1}', 'optimizer.safetensors': encodeSafetensors({}) });
    await writeModelCheckpoint(dir, a, meta);
    await writeModelCheckpoint(dir, b, meta);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer.json']);
    expect(await readFile(join(dir, 'trainer.json'), 'utf8')).toBe('{"step":1}');
    const back = await readModelCheckpoint(dir);
    expect(Array.from(logitsOf(back.model, [[1, 2]]))).toEqual(Array.from(logitsOf(b, [[1, 2]])));
    expect((await readdir(root)).filter((n) => n.startsWith('keep.'))).toEqual([]); // no temp or old dirs left
    tf.dispose([]);
    [a, b, back.model].forEach((m) => m.dispose());
  });

  it('a failed write leaves the previous checkpoint whole and no temp directory', async () => {
    const dir = join(root, 'fail');
    await writeCheckpointFiles(dir, { 'config.json': 'old', 'model.safetensors': new Uint8Array([1, 2, 3]) });
    const crash = () => {
      throw new Error('power cut');
    };
    await expect(writeCheckpointFiles(dir, { 'config.json': 'new', 'trainer.json': '{}' }, { beforeSwap: crash })).rejects.toThrow('power cut');
    expect(await readFile(join(dir, 'config.json'), 'utf8')).toBe('old');
    expect((await readdir(root)).filter((n) => n.startsWith('fail.'))).toEqual([]);
  });

  it('recovers from a crash between the two renames of the swap', async () => {
    const dir = join(root, 'crash');
    const m = new LanguageModel({ cell: 'gru', input: 'one-hot', vocabSize: 5, hiddenSize: 4, random: new Random(5) });
    await writeModelCheckpoint(dir, m, meta);
    await rename(dir, `${dir}.old`); // the state after `rename(dir, old)` and before `rename(tmp, dir)`
    const back = await readModelCheckpoint(dir);
    expect(back.config.cell).toBe('gru');
    // both present: the swap completed, the old copy goes
    await mkdir(`${dir}.old`);
    await recoverCheckpointDir(dir);
    expect((await readdir(root)).filter((n) => n.startsWith('crash.'))).toEqual([]);
    m.dispose();
    back.model.dispose();
  });

  it('refuses weights that do not match the config, naming the tensor, before building a model', async () => {
    const m = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: 5, hiddenSize: 4, random: new Random(5) });
    const dict = m.stateDict();
    const bytes = encodeSafetensors(dict);
    const config = checkpointConfigFromModel(m, meta);
    expect(() => modelFromCheckpointFiles(JSON.stringify({ ...config, hiddenSize: 8 }), bytes)).toThrow(
      /tensor 'rnn.weight_ih_l0' has shape \[16, 5\] but the config \(lstm, input one-hot, V=5, H=8, L=1\) needs \[32, 5\]/,
    );
    expect(() => modelFromCheckpointFiles({ ...config, cell: 'gru' }, bytes)).toThrow(/tensor 'rnn.weight_ih_l0' has shape \[16, 5\] .* needs \[12, 5\]/);
    const { 'linear.bias': bias, ...noBias } = dict;
    expect(() => modelFromCheckpointFiles(config, encodeSafetensors(noBias))).toThrow(/tensor 'linear.bias' of shape \[5\] is missing/);
    const extra = tf.zeros([2]);
    expect(() => modelFromCheckpointFiles(config, encodeSafetensors({ ...dict, 'rnn.weight_ih_l1': extra }))).toThrow(/unexpected tensor 'rnn.weight_ih_l1'/);
    const before = tf.memory().numTensors;
    expect(() => modelFromCheckpointFiles({ ...config, numLayers: 2 }, bytes)).toThrow(CheckpointError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...Object.values(dict), bias as tf.Tensor, extra]);
    m.dispose();
  });

  it('names the missing file of a checkpoint directory', async () => {
    const dir = join(root, 'missing');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify(goodConfig()));
    await expect(readModelCheckpoint(dir)).rejects.toThrow(/model.safetensors does not exist/);
  });

  it('checks the vocabulary against the model', () => {
    const m = new LanguageModel({ cell: 'rnn', input: 'one-hot', vocabSize: 7, hiddenSize: 4 });
    expect(() => checkpointConfigFromModel(m, meta)).toThrow(/the vocabulary has 5 tokens but the model's vocabSize is 7/);
    m.dispose();
  });
});
