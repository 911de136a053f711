import { join } from 'node:path';
import { NonFiniteLossError, Random, getRandom, manualSeed, memorySnapshot, tf } from '@recurrent/core';
import { LanguageModel, type LanguageModelConfig } from '@recurrent/layers';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/setup';
import { checkpointEvery } from '../callbacks/checkpoint-every';
import { earlyStopping } from '../callbacks/early-stopping';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint/checkpoint-directory';
import { Adam } from '../optim/adam';
import { SGD } from '../optim/sgd';
import { LRScheduler } from '../schedules/schedule';
import { Trainer, evaluate } from './trainer';
import type { StepInfo, TrainBatch } from './types';

const tempDir = useTempDir('recurrent-train-');

/** d2l-style sequential batches of a token stream (random offset from `random`), state carried. */
function* sequential(ids: number[], B: number, T: number, random: Random | null): Generator<TrainBatch> {
  const offset = random ? random.randint(0, T - 1) : 0;
  const n = Math.floor((ids.length - offset - 1) / B) * B;
  const S = n / B;
  for (let k = 0; k + T <= S; k += T) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        xs.push(ids[offset + b * S + k + t]!);
        ys.push(ids[offset + b * S + k + t + 1]!);
      }
    }
    // Typed arrays with a shape, as @recurrent/datasets' samplers yield.
    yield { x: Int32Array.from(xs), y: Int32Array.from(ys), shape: [B, T], carryState: k > 0 };
  }
}

/** Random windows, each batch independent (no state carried). */
async function* randomWindows(ids: number[], B: number, T: number, batches: number, random: Random): AsyncGenerator<TrainBatch> {
  for (let i = 0; i < batches; i++) {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let b = 0; b < B; b++) {
      const s = random.randint(0, ids.length - T - 2);
      for (let t = 0; t < T; t++) {
        xs.push(ids[s + t]!);
        ys.push(ids[s + t + 1]!);
      }
    }
    yield { x: tf.tensor2d(xs, [B, T], 'int32'), y: tf.tensor2d(ys, [B, T], 'int32') };
  }
}

const text = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us ';
const chars = [...new Set(text)].sort();
const ids = [...text].map((c) => chars.indexOf(c));
const meta = { tokenizer: { level: 'char' as const, preprocess: 'none' as const }, vocab: { tokens: chars, unk: null } };

function model(random: Random, extra: Partial<LanguageModelConfig> = {}): LanguageModel {
  return new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: chars.length, hiddenSize: 16, random, ...extra });
}

describe('Trainer', () => {
  it('runs 1,000 steps without changing the number of live tensors, and learns', async () => {
    const random = new Random(1);
    const m = model(random, { cell: 'rnn', hiddenSize: 8 });
    const opt = new Adam(m.parameters(), { lr: 0.02 });
    const trainer = new Trainer({ model: m, optimizer: opt, clipNorm: 1, random });
    // Warm up one epoch so the optimizer's state exists, then count.
    const first = (await trainer.trainEpoch(sequential(ids, 2, 2, null)))!;
    const before = memorySnapshot().numTensors;
    function* cycle(): Generator<TrainBatch> {
      for (let n = 0; n < 1000; ) for (const b of sequential(ids, 2, 2, null)) if (n++ < 1000) yield b;
    }
    const last = (await trainer.trainEpoch(cycle()))!;
    expect(last.steps).toBe(1000);
    expect(memorySnapshot().numTensors).toBe(before);
    expect(last.perplexity).toBeLessThan(first.perplexity / 2);
    expect(last.tokensPerSecond).toBeGreaterThan(0);
    opt.dispose();
    m.dispose();
  });

  it('carries state within an epoch and resets it for random batches (the loss of a carried batch depends on the previous one)', async () => {
    const random = new Random(2);
    const m = model(random);
    const opt = new SGD(m.parameters(), { lr: 0 });
    const trainer = new Trainer({ model: m, optimizer: opt });
    const losses: number[] = [];
    trainer.callbacks.push({ onStep: (i: StepInfo) => void losses.push(i.loss) });
    const mk = (carry: boolean): TrainBatch[] => {
      const out = [...sequential(ids, 2, 5, null)].slice(0, 2);
      out[1]!.carryState = carry;
      return out;
    };
    await trainer.trainEpoch(mk(true));
    await trainer.trainEpoch(mk(false));
    const fresh = [...sequential(ids, 2, 5, null)].slice(1, 2);
    fresh[0]!.carryState = false;
    await trainer.trainEpoch(fresh);
    expect(losses[0]).toBe(losses[2]);
    expect(losses[1]).not.toBe(losses[3]);
    expect(losses[3]).toBe(losses[4]);
    opt.dispose();
    m.dispose();
  });

  it('resumes from a checkpoint with the same losses as an uninterrupted run', async () => {
    const run = async (resumeAfter: number | null): Promise<number[]> => {
      const random = new Random(7);
      let m = model(random, { dropout: 0 });
      let opt = new Adam(m.parameters(), { lr: 0.01 });
      let trainer = new Trainer({ model: m, optimizer: opt, clipNorm: 1, random, scheduler: null });
      const losses: number[] = [];
      const track = { onStep: (i: StepInfo) => void losses.push(i.loss) };
      trainer.callbacks.push(track);
      const data = (_e: number, r: Random) => randomWindows(ids, 3, 6, 4, r);
      const ckpt = join(tempDir(), 'resume');
      if (resumeAfter === null) {
        await trainer.fit({ epochs: 4, data });
        opt.dispose();
        m.dispose();
        return losses;
      }
      trainer.callbacks.push(checkpointEvery({ dir: ckpt, trainer, model: m, ...meta }));
      await trainer.fit({ epochs: resumeAfter, data });
      opt.dispose();
      m.dispose();
      // A fresh process: everything comes from the checkpoint.
      const loaded = await loadCheckpoint(ckpt);
      m = loaded.model;
      opt = new Adam(m.parameters(), { lr: 0.5 });
      opt.loadStateDict(loaded.optimizer!);
      tf.dispose(Object.values(loaded.optimizer!.tensors));
      trainer = new Trainer({ model: m, optimizer: opt, clipNorm: 1, random: new Random(12345) });
      trainer.setState(loaded.trainer!);
      trainer.callbacks.push(track);
      await trainer.fit({ epochs: 4, data });
      expect(trainer.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
      opt.dispose();
      m.dispose();
      return losses;
    };
    const full = await run(null);
    const resumed = await run(2);
    expect(resumed).toHaveLength(16);
    expect(resumed).toEqual(full);
  });

  it('resumes from the middle of an epoch bit-identically: dropout, a per-step schedule, lazily drawn windows and carried state', async () => {
    // Odd epochs: sequential batches (state carried, a random offset); even: random windows drawn
    // batch by batch from the same source the dropout masks come from.
    const data = (epoch: number, r: Random) => (epoch % 2 === 1 ? sequential(ids, 2, 5, r) : randomWindows(ids, 3, 6, 4, r));
    const setup = (m: LanguageModel) => {
      const opt = new Adam(m.parameters(), { lr: 0.02 });
      const scheduler = new LRScheduler(opt, { type: 'step', stepSize: 3, gamma: 0.7 });
      return { opt, trainer: new Trainer({ model: m, optimizer: opt, scheduler, clipNorm: 1, random: getRandom() }) };
    };
    const curve = (t: Trainer, into: number[][]) => t.callbacks.push({ onStep: (i: StepInfo) => void into.push([i.step, i.loss, i.gradNorm, i.lr]) });

    manualSeed(21);
    const m0 = model(getRandom(), { dropout: 0.3, numLayers: 2 });
    const whole: number[][] = [];
    const a = setup(m0);
    curve(a.trainer, whole);
    await a.trainer.fit({ epochs: 3, data });
    const perEpoch = a.trainer.history[0]!.steps;
    const final = m0.parameters().map((p) => Array.from(p.value.dataSync()));

    manualSeed(21);
    const m1 = model(getRandom(), { dropout: 0.3, numLayers: 2 });
    const stopped: number[][] = [];
    const b = setup(m1);
    curve(b.trainer, stopped);
    const stopAt = perEpoch + 2; // inside epoch 2
    b.trainer.callbacks.push({ onStep: (i, t) => void (i.step === stopAt && t.interrupt()) });
    await b.trainer.fit({ epochs: 3, data });
    expect(b.trainer.interrupted).toBe(true);
    expect(b.trainer.getState().position).toMatchObject({ epoch: 2, batches: 2, steps: 2 });
    const ckpt = join(tempDir(), 'mid-epoch');
    await saveCheckpoint(ckpt, { model: m1, optimizer: b.opt, trainer: b.trainer.getState(), carriedState: b.trainer.carriedState(), ...meta });
    b.trainer.dispose();
    b.opt.dispose();
    m1.dispose();

    // A fresh process: a different seed, everything else from the checkpoint.
    manualSeed(999);
    const before = memorySnapshot().numTensors;
    const loaded = await loadCheckpoint(ckpt);
    const c = setup(loaded.model);
    c.opt.loadStateDict(loaded.optimizer!);
    c.trainer.setState(loaded.trainer!, loaded.carriedState);
    tf.dispose([...Object.values(loaded.optimizer!.tensors), loaded.carriedState!.h, loaded.carriedState!.c!]); // setState copied it
    curve(c.trainer, stopped);
    await c.trainer.fit({ epochs: 3, data });
    expect(stopped).toEqual(whole);
    expect(c.trainer.history.map((h) => h.loss)).toEqual(a.trainer.history.map((h) => h.loss));
    expect(loaded.model.parameters().map((p) => Array.from(p.value.dataSync()))).toEqual(final);
    c.trainer.dispose();
    c.opt.dispose();
    loaded.model.dispose();
    expect(memorySnapshot().numTensors).toBe(before);

    // In the same process too: interrupt, then fit again.
    manualSeed(21);
    const m2 = model(getRandom(), { dropout: 0.3, numLayers: 2 });
    const again: number[][] = [];
    const d = setup(m2);
    curve(d.trainer, again);
    let once = true;
    d.trainer.callbacks.push({ onStep: (i, t) => void (i.step === perEpoch - 1 && once && ((once = false), t.interrupt())) });
    await d.trainer.fit({ epochs: 3, data });
    expect(d.trainer.carriedState()?.h.shape).toEqual([2, 2, 16]); // sequential epoch 1: carried
    await d.trainer.fit({ epochs: 3, data });
    expect(again).toEqual(whole);
    d.trainer.dispose();
    d.opt.dispose();
    m2.dispose();
    a.opt.dispose();
    m0.dispose();
  });

  it('stops with NonFiniteLossError naming the step, leaving the last good checkpoint whole', async () => {
    const random = new Random(3);
    const m = model(random);
    const opt = new SGD(m.parameters(), { lr: 0.5 });
    const ckpt = join(tempDir(), 'nan');
    const trainer = new Trainer({ model: m, optimizer: opt, random });
    trainer.callbacks.push(checkpointEvery({ dir: ckpt, trainer, model: m, ...meta }));
    await trainer.fit({ epochs: 1, data: () => sequential(ids, 2, 5, null) });
    const good = m.linear.weight.value.dataSync().slice();
    const stepsDone = trainer.step;
    // Poison the weights: the next loss is NaN.
    const w = m.linear.weight;
    w.assign(tf.tidy(() => tf.mul(w.value, NaN)));
    const before = memorySnapshot().numTensors;
    const err = await trainer.fit({ epochs: 2, data: () => sequential(ids, 2, 5, null) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).step).toBe(stepsDone + 1);
    expect((err as Error).message).toMatch(new RegExp(`step ${stepsDone + 1}`));
    expect(memorySnapshot().numTensors).toBe(before);
    const loaded = await loadCheckpoint(ckpt);
    expect(loaded.trainer!.epoch).toBe(1);
    expect(Array.from(loaded.model.linear.weight.value.dataSync())).toEqual(Array.from(good));
    tf.dispose(Object.values(loaded.optimizer!.tensors));
    loaded.model.dispose();
    opt.dispose();
    m.dispose();
  });

  it('keeps the previous checkpoint loadable when a write is interrupted', async () => {
    const random = new Random(4);
    const m = model(random);
    const opt = new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
    const trainer = new Trainer({ model: m, optimizer: opt, random });
    await trainer.fit({ epochs: 1, data: () => sequential(ids, 2, 5, null) });
    const ckpt = join(tempDir(), 'atomic');
    await saveCheckpoint(ckpt, { model: m, optimizer: opt, trainer: trainer.getState(), ...meta });
    const saved = m.linear.bias!.value.dataSync().slice();
    await trainer.fit({ epochs: 2, data: () => sequential(ids, 2, 5, null) });
    const crash = new Error('power cut');
    await expect(
      saveCheckpoint(ckpt, {
        model: m,
        optimizer: opt,
        trainer: trainer.getState(),
        ...meta,
        beforeSwap: () => {
          throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const loaded = await loadCheckpoint(ckpt);
    expect(loaded.trainer!.epoch).toBe(1);
    expect(Array.from(loaded.model.linear.bias!.value.dataSync())).toEqual(Array.from(saved));
    expect(Object.keys(loaded.optimizer!.tensors).length).toBe(m.parameters().length);
    tf.dispose(Object.values(loaded.optimizer!.tensors));
    loaded.model.dispose();
    opt.dispose();
    m.dispose();
  });

  it('validates each epoch before its schedule step: the validation loss belongs to the epoch\'s learning rate', async () => {
    const random = new Random(6);
    const m = model(random);
    const opt = new SGD(m.parameters(), { lr: 1 });
    const scheduler = new LRScheduler(opt, { type: 'step', stepSize: 1, gamma: 0.5 });
    const seen: number[] = [];
    const trainer = new Trainer({ model: m, optimizer: opt, random, scheduler, scheduleEvery: 'epoch' });
    const history = await trainer.fit({
      epochs: 3,
      data: () => sequential(ids, 2, 5, null),
      validation: () => {
        seen.push(opt.lr);
        return sequential(ids, 1, 10, null);
      },
    });
    expect(seen).toEqual([1, 0.5, 0.25]);
    expect(history.map((h) => h.lr)).toEqual(seen);
    expect(opt.lr).toBe(0.125); // the step after the last validation
    opt.dispose();
    m.dispose();
  });

  it('evaluates held-out data each epoch, follows a schedule and stops early', async () => {
    const random = new Random(5);
    const m = model(random);
    const opt = new SGD(m.parameters(), { lr: 1 });
    const scheduler = new LRScheduler(opt, { type: 'step', stepSize: 1, gamma: 0.5 });
    const stopper = earlyStopping({ patience: 1, minDelta: 10 });
    const trainer = new Trainer({ model: m, optimizer: opt, random, scheduler, scheduleEvery: 'epoch', callbacks: [stopper] });
    const history = await trainer.fit({ epochs: 5, data: () => sequential(ids, 2, 5, null), validation: () => sequential(ids, 1, 10, null) });
    // Improvement by 10 nats never happens after the first epoch: stop after epoch 2.
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(history.map((h) => h.lr)).toEqual([1, 0.5]);
    const direct = await evaluate(m, sequential(ids, 1, 10, null));
    expect(history[1]!.validation!.perplexity).toBeCloseTo(direct.perplexity, 10);
    expect(direct.tokens).toBe(100);
    opt.dispose();
    m.dispose();
  });
});
