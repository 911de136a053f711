import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, Random, tf } from '@recurrent/core';
import { checkpointDir } from '@recurrent/fixtures';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/setup';
import { readFile, writeFile } from 'node:fs/promises';
import { Trainer } from '../loop/trainer';
import { SGD } from '../optim/sgd';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-directory';
import { OPTIMIZER_FILE, TRAINER_FILE } from './checkpoint-files';

const fixture = checkpointDir('tm-lstm-onehot');
const tempDir = useTempDir('recurrent-ckpt-');

describe('checkpoints', () => {
  it('load a PyTorch-written directory (no optimizer or trainer files) that runs: first-step logits match', async () => {
    const expected = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8')) as { logits: { prefix: string; firstStep: number[] } };
    const ck = await loadCheckpoint(fixture);
    expect(ck.optimizer).toBeNull();
    expect(ck.trainer).toBeNull();
    const tokens = ck.config.vocab.tokens;
    const ids = [...expected.logits.prefix].map((c) => tokens.indexOf(c));
    let state = ck.model.beginState(1);
    let logits: tf.Tensor | null = null;
    for (const id of ids) {
      logits?.dispose();
      const x = tf.tensor1d([id], 'int32');
      const r = ck.model.step(x, state);
      x.dispose();
      state.h.dispose();
      state.c?.dispose();
      state = r.state;
      logits = r.logits;
    }
    const got = Array.from(logits!.dataSync());
    got.forEach((v, i) => expect(Math.abs(v - expected.logits.firstStep[i]!)).toBeLessThan(1e-4));
    logits!.dispose();
    state.h.dispose();
    state.c?.dispose();

    // ... and training continues from it, adding the optimizer and trainer files.
    const opt = new SGD(ck.model.parameters(), { lr: 1, momentum: 0.5 });
    const trainer = new Trainer({ model: ck.model, optimizer: opt, clipNorm: 1, random: new Random(0) });
    const x = Int32Array.from(ids.slice(0, 10));
    const y = Int32Array.from(ids.slice(1, 11));
    await trainer.fit({ epochs: 1, data: () => [{ x, y, shape: [1, 10] }] });
    const out = join(tempDir(), 'continued');
    await saveCheckpoint(out, { model: ck.model, optimizer: opt, trainer: trainer.getState(), tokenizer: ck.config.tokenizer, vocab: ck.config.vocab });
    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors', OPTIMIZER_FILE, TRAINER_FILE].sort());
    const again = await loadCheckpoint(out);
    expect(again.trainer!.step).toBe(1);
    expect(again.optimizer!.scalars).toMatchObject({ type: 'SGD', steps: [1, 1, 1, 1, 1, 1], options: { lr: 1, momentum: 0.5 } });
    expect(Object.keys(again.optimizer!.tensors).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `state.${i}.momentum_buffer`).sort());
    tf.dispose(Object.values(again.optimizer!.tensors));
    again.model.dispose();

    // A model-only save over it leaves no stale optimizer or trainer state behind.
    await saveCheckpoint(out, { model: ck.model, tokenizer: ck.config.tokenizer, vocab: ck.config.vocab });
    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors']);
    const modelOnly = await loadCheckpoint(out);
    expect(modelOnly.optimizer).toBeNull();
    expect(modelOnly.trainer).toBeNull();
    modelOnly.model.dispose();
    opt.dispose();
    ck.model.dispose();
  });

  it('refuses a damaged trainer.json with a CheckpointError naming the key', async () => {
    const bad = join(tempDir(), 'bad');
    await cp(fixture, bad, { recursive: true });
    await writeFile(join(bad, TRAINER_FILE), JSON.stringify({ step: 'one', epoch: 1 }));
    const err = await loadCheckpoint(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/'step'/);
  });
});
