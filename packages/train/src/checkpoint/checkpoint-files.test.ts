// A training checkpoint as files, without a file system (what a browser downloads and uploads).
import { CheckpointError, Random, init, manualSeed, tf } from '@recurrent/core';
import { CONFIG_FILE, LanguageModel, MODEL_FILE } from '@recurrent/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../loop/trainer';
import { Adam } from '../optim/adam';
import { OPTIMIZER_FILE, TRAINER_FILE, checkpointFromFiles, trainingCheckpointFiles } from './checkpoint-files';

const tokens = ['<unk>', ' ', 'a', 'b', 'c'];
const meta = { tokenizer: { level: 'char' as const, preprocess: 'none' as const }, vocab: { tokens, unk: '<unk>' } };

beforeAll(async () => {
  await init();
});

async function trained() {
  manualSeed(3);
  const model = new LanguageModel({ cell: 'gru', input: 'embedding', embeddingDim: 4, vocabSize: tokens.length, hiddenSize: 6 });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const trainer = new Trainer({ model, optimizer, clipNorm: 1, random: new Random(1) });
  const x = Int32Array.from([1, 2, 3, 4, 2, 3]);
  const y = Int32Array.from([2, 3, 4, 2, 3, 1]);
  await trainer.fit({ epochs: 2, data: () => [{ x, y, shape: [2, 3] }] });
  return { model, optimizer, trainer };
}

describe('trainingCheckpointFiles / checkpointFromFiles', () => {
  it('round-trips model, optimizer and trainer state through the files alone', async () => {
    const { model, optimizer, trainer } = await trained();
    const files = trainingCheckpointFiles({ model, optimizer, trainer: trainer.getState(), ...meta });
    expect(Object.keys(files).sort()).toEqual([CONFIG_FILE, MODEL_FILE, OPTIMIZER_FILE, TRAINER_FILE].sort());
    const loaded = checkpointFromFiles(files);
    expect(loaded.trainer).toEqual(trainer.getState());
    expect(loaded.optimizer!.scalars).toMatchObject({ type: 'Adam', steps: Array(model.parameters().length).fill(2) });
    const want = model.stateDict();
    const got = loaded.model.stateDict();
    for (const [name, t] of Object.entries(want)) expect(Array.from(got[name]!.dataSync()), name).toEqual(Array.from(t.dataSync()));
    tf.dispose([...Object.values(want), ...Object.values(got), ...Object.values(loaded.optimizer!.tensors)]);
    loaded.model.dispose();
    model.dispose();
    optimizer.dispose();
  });

  it('a model-only checkpoint has null optimizer and trainer parts', async () => {
    const { model, optimizer } = await trained();
    const loaded = checkpointFromFiles(trainingCheckpointFiles({ model, ...meta }));
    expect(loaded.optimizer).toBeNull();
    expect(loaded.trainer).toBeNull();
    loaded.model.dispose();
    model.dispose();
    optimizer.dispose();
  });

  it('refuses missing or mistyped files and a bad trainer.json, leaving no tensor', async () => {
    const { model, optimizer, trainer } = await trained();
    const files = trainingCheckpointFiles({ model, optimizer, trainer: trainer.getState(), ...meta });
    const before = tf.memory().numTensors;
    expect(() => checkpointFromFiles({ ...files, [CONFIG_FILE]: undefined })).toThrow(new CheckpointError(`checkpointFromFiles: the checkpoint has no ${CONFIG_FILE}`));
    expect(() => checkpointFromFiles({ ...files, [MODEL_FILE]: 'text' })).toThrow(/checkpointFromFiles: the checkpoint's model\.safetensors must be bytes, got string/);
    expect(() => checkpointFromFiles({ ...files, [OPTIMIZER_FILE]: 'text' })).toThrow(/optimizer\.safetensors must be bytes/);
    expect(() => checkpointFromFiles({ ...files, [TRAINER_FILE]: '{"step": 1.5}' })).toThrow(/trainer\.json key 'step' must be a non-negative integer, got 1\.5/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    optimizer.dispose();
  });
});
