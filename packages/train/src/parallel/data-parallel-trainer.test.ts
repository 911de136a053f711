import { InvalidArgumentError, NonFiniteLossError, Random, VocabError, WorkerError, init, memorySnapshot, tf } from '@recurrent/core';
import { LanguageModel, type LanguageModelConfig } from '@recurrent/layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker } from '../../test/worker-bundle';
import { Trainer } from '../loop/trainer';
import type { StepInfo, TrainBatch } from '../loop/types';
import { Adam, AdamW } from '../optim/adam';
import { checkpointFromFiles, trainingCheckpointFiles } from '../checkpoint/checkpoint-files';
import type { Optimizer } from '../optim/optimizer';
import { SGD } from '../optim/sgd';
import { LRScheduler, type ScheduleSpec } from '../schedules/schedule';
import { DataParallelTrainer, splitRows, type DataParallelTrainerOptions } from './data-parallel-trainer';
import { toWireError } from './worker';
import { fromWireError } from './worker-pool';
import type { OptimizerSpec } from './optimizer-spec';

let workerUrl: URL;
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => {
  await init();
  ({ url: workerUrl, cleanup } = await bundleWorker());
});
afterAll(() => cleanup());

const V = 12;
const config: LanguageModelConfig = { cell: 'lstm', input: 'one-hot', vocabSize: V, hiddenSize: 16 };

/** `n` batches of [B, T] seeded ids with a learnable target (the next id, mod V). */
function batches(n: number, B: number, T: number, carry: boolean, seed = 1): TrainBatch[] {
  const r = new Random(seed);
  const out: TrainBatch[] = [];
  for (let k = 0; k < n; k++) {
    const x = Int32Array.from({ length: B * T }, () => r.int(V));
    const y = x.map((id) => (id + 1) % V);
    out.push({ x, y, shape: [B, T], carryState: carry && k > 0 });
  }
  return out;
}

function flatWeights(model: LanguageModel): Float32Array[] {
  return model.parameters().map((p) => p.value.dataSync() as Float32Array);
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return Number.isNaN(m) ? Infinity : m;
}

function recorder(): { losses: number[]; lrs: number[]; callback: { onStep(i: StepInfo): void } } {
  const losses: number[] = [];
  const lrs: number[] = [];
  return { losses, lrs, callback: { onStep: (i) => void (losses.push(i.loss), lrs.push(i.lr)) } };
}

/** The same run on one thread (`Trainer`) and over 2 workers, from the same weights. */
async function parity(spec: OptimizerSpec, makeOpt: (m: LanguageModel) => Optimizer, data: TrainBatch[], clipNorm: number | null, epochs = 1, schedule: ScheduleSpec | null = null, cfg: LanguageModelConfig = config) {
  const single = new LanguageModel({ ...cfg, random: new Random(3) });
  const start = single.stateDict();
  const one = recorder();
  const optimizer = makeOpt(single);
  const scheduler = schedule ? new LRScheduler(optimizer, schedule) : null;
  const trainer = new Trainer({ model: single, optimizer, scheduler, clipNorm, callbacks: [one.callback] });
  await trainer.fit({ epochs, data: () => data });

  const copies: Float32Array[][][] = [];
  const two = recorder();
  const dp = new DataParallelTrainer({
    model: { config: cfg, stateDict: start },
    optimizer: spec,
    clipNorm,
    schedule,
    workers: 2,
    workerUrl,
    callbacks: [two.callback, { onEpochEnd: async (_s, t) => void copies.push(await (t as DataParallelTrainer).workerWeights()) }],
  });
  tf.dispose(Object.values(start));
  const history = await dp.fit({ epochs, data: () => data });
  const result = { single: flatWeights(single), parallel: flatWeights(dp.model), one: one.losses, two: two.losses, lrs: [one.lrs, two.lrs], history, trainer, dp, copies };
  single.dispose();
  dp.model.dispose();
  return result;
}

describe('DataParallelTrainer', () => {
  it('splits rows contiguously, the first workers taking the remainder', () => {
    expect(splitRows(32, 2)).toEqual([16, 16]);
    expect(splitRows(5, 2)).toEqual([3, 2]);
    expect(splitRows(1, 2)).toEqual([1, 0]);
  });

  it('matches the single-process Trainer with SGD + clipping (24 random batches), copies equal', async () => {
    const data = batches(24, 6, 7, false);
    const r = await parity({ type: 'sgd', lr: 1 }, (m) => new SGD(m.parameters(), { lr: 1 }), data, 1);
    expect(r.two).toHaveLength(24);
    const lossDiff = Math.max(...r.one.map((l, i) => Math.abs(l - r.two[i]!)));
    expect(lossDiff).toBeLessThan(1e-5);
    expect(maxDiff(r.parallel, r.single)).toBeLessThan(1e-5);
    // The weights moved (the comparison is not between two untouched copies).
    expect(r.one[23]!).toBeLessThan(r.one[0]!);
    // Every worker's copy is bit-identical and equal to what came back into the model.
    const [w0, w1] = r.copies[0]!;
    expect(maxDiff(w0!, w1!)).toBe(0);
    expect(maxDiff(w0!, r.parallel)).toBe(0);
    expect(r.history[0]!.steps).toBe(24);
    expect(r.history[0]!.tokens).toBe(24 * 6 * 7);
    expect(Math.abs(r.history[0]!.loss - r.trainer.history[0]!.loss)).toBeLessThan(1e-5);
    expect(r.dp.step).toBe(24);
    expect(r.dp.liveWorkers).toBe(0);
  });

  it('matches Trainer with Adam on sequential batches of 5 rows (3 + 2), each worker carrying its rows', async () => {
    const data = batches(11, 5, 6, true, 7);
    const r = await parity({ type: 'adam', lr: 0.01 }, (m) => new Adam(m.parameters(), { lr: 0.01 }), data, 1, 2);
    expect(r.two).toHaveLength(22);
    expect(Math.max(...r.one.map((l, i) => Math.abs(l - r.two[i]!)))).toBeLessThan(1e-5);
    expect(maxDiff(r.parallel, r.single)).toBeLessThan(1e-5);
    // The optimizer state came back too: the main copy took 22 steps.
    expect(r.dp.optimizer.stateDict().scalars.steps[0]).toBe(22);
  });

  it('a worker with no rows (batch 1 over 2 workers) still takes the step; the lr schedule runs as in Trainer', async () => {
    const data = batches(3, 1, 5, false, 9);
    const r = await parity({ type: 'sgd', lr: 0.5, momentum: 0.9 }, (m) => new SGD(m.parameters(), { lr: 0.5, momentum: 0.9 }), data, null, 2, { type: 'step', stepSize: 2, gamma: 0.5 });
    expect(Math.max(...r.one.map((l, i) => Math.abs(l - r.two[i]!)))).toBeLessThan(1e-5);
    expect(maxDiff(r.parallel, r.single)).toBeLessThan(1e-5);
    expect(r.lrs[1]).toEqual([0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
    expect(r.lrs[1]).toEqual(r.lrs[0]);
    expect(r.dp.history.map((h) => h.lr)).toEqual(r.trainer.history.map((h) => h.lr));
  });

  it('runs the same epoch loop as Trainer: validation on the epoch\'s weights, then the epoch-wise schedule step', async () => {
    const data = batches(4, 4, 5, false, 11);
    const held = batches(2, 2, 5, false, 12);
    const seen: number[] = [];
    const perplexities: number[] = [];
    const dp = new DataParallelTrainer({
      model: { config: { ...config, random: new Random(4) } },
      optimizer: { type: 'sgd', lr: 1 },
      schedule: { type: 'step', stepSize: 1, gamma: 0.5 },
      scheduleEvery: 'epoch',
      workers: 2,
      workerUrl,
      // The main thread's model after the epoch (what validation must see): its own evaluation.
      callbacks: [{ onEpochEnd: async (_s, t) => void perplexities.push((await (t as DataParallelTrainer).evaluate(held)).perplexity) }],
    });
    const history = await dp.fit({
      epochs: 3,
      data: () => data,
      validation: () => {
        seen.push(dp.optimizer.lr);
        return held;
      },
    });
    expect(seen).toEqual([1, 0.5, 0.25]);
    expect(history.map((h) => h.lr)).toEqual(seen);
    expect(dp.optimizer.lr).toBe(0.125);
    expect(history.map((h) => h.validation!.perplexity)).toEqual(perplexities);
    dp.model.dispose();
  });

  it('rebuilds an error a worker sends as the same typed error, message and fields', () => {
    const sent = new VocabError({ fn: 'LanguageModel.forward', argument: 'ids', expected: 'token ids in [0, 12)', received: 'id 15 at index 2' });
    const got = fromWireError(toWireError(sent), 1);
    expect(got).toBeInstanceOf(VocabError);
    expect(got.message).toBe(sent.message);
    expect((got as VocabError).argument).toBe('ids');
    expect(got.stack).toMatch(/in data-parallel worker 1/);
    const nan = fromWireError(toWireError(new NonFiniteLossError(4, NaN)), 0);
    expect(nan).toBeInstanceOf(NonFiniteLossError);
    expect((nan as NonFiniteLossError).step).toBe(4);
  });

  it('refuses a bad batch on the main thread as Trainer does (before any worker sees it) and stops every worker', async () => {
    const data = batches(2, 4, 5, false);
    data[1]!.x = Int32Array.from(data[1]!.x as Int32Array);
    (data[1]!.x as Int32Array)[2] = V + 3; // row 0: the same position on worker 0 as on one thread
    const single = new LanguageModel({ ...config, random: new Random(3) });
    const expected = await new Trainer({ model: single, optimizer: new SGD(single.parameters(), { lr: 1 }) }).fit({ epochs: 1, data: () => data }).catch((e: unknown) => e);
    single.dispose();
    expect(expected).toBeInstanceOf(VocabError);

    let live = 0;
    let synced: Float32Array[] = [];
    const dp = new DataParallelTrainer({
      model: { config },
      optimizer: { type: 'sgd', lr: 1 },
      workers: 2,
      workerUrl,
      callbacks: [
        {
          onStep: async (_i, t) => {
            live = (t as DataParallelTrainer).liveWorkers;
            await (t as DataParallelTrainer).syncWeights();
            synced = flatWeights((t as DataParallelTrainer).model);
          },
        },
      ],
    });
    const before = flatWeights(dp.model);
    const error = await dp.fit({ epochs: 1, data: () => data }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VocabError);
    expect((error as Error).message).toBe((expected as Error).message.replace('Trainer.trainStep', 'DataParallelTrainer'));
    expect(live).toBe(2);
    expect(dp.liveWorkers).toBe(0);
    expect(dp.step).toBe(1);
    // The model holds the weights synced on request after step 1 (moved from the start).
    expect(maxDiff(synced, before)).toBeGreaterThan(0);
    expect(maxDiff(flatWeights(dp.model), synced)).toBe(0);
    dp.model.dispose();
  });

  it('throws NonFiniteLossError before the weights change, and the queued next step is not taken', async () => {
    const model = new LanguageModel({ ...config, random: new Random(3) });
    const data = batches(3, 4, 5, false);
    // Two huge mask weights on worker 0's rows overflow its float32 sum: only step 1's loss is
    // infinite; step 2 (already queued to the workers) would be finite and would move the weights.
    data[0]!.mask = new Float32Array(20).fill(1);
    data[0]!.mask[3] = 3e38;
    data[0]!.mask[4] = 3e38;
    const dp = new DataParallelTrainer({ model, optimizer: { type: 'sgd', lr: 1 }, schedule: { type: 'exponential', gamma: 0.5 }, workers: 2, workerUrl });
    const before = flatWeights(model);
    const error = await dp.fit({ epochs: 1, data: () => data }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).step).toBe(1);
    expect(dp.step).toBe(0);
    expect(dp.liveWorkers).toBe(0);
    // The schedule is where it was: the failed step and the queued one did not advance it.
    expect(dp.scheduler!.t).toBe(0);
    expect(dp.optimizer.lr).toBe(1);
    const after = flatWeights(model);
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i]!)));
    model.dispose();
  });

  for (const [name, cfg] of [
    ['a 2-layer GRU', { cell: 'gru', input: 'one-hot', vocabSize: V, hiddenSize: 12, numLayers: 2 }],
    ['a relu RNN', { cell: 'rnn', nonlinearity: 'relu', input: 'one-hot', vocabSize: V, hiddenSize: 10 }],
    ['an LSTM with an embedding input', { cell: 'lstm', input: 'embedding', embeddingDim: 6, vocabSize: V, hiddenSize: 8, numLayers: 2 }],
  ] as [string, LanguageModelConfig][]) {
    it(`matches Trainer beyond LSTM + one-hot: ${name}, Adam, sequential batches of 5 rows`, async () => {
      const data = batches(8, 5, 6, true, 11);
      const r = await parity({ type: 'adam', lr: 0.02 }, (m) => new Adam(m.parameters(), { lr: 0.02 }), data, 1, 2, null, cfg);
      expect(r.two).toHaveLength(16);
      expect(Math.max(...r.one.map((l, i) => Math.abs(l - r.two[i]!)))).toBeLessThan(1e-5);
      expect(maxDiff(r.parallel, r.single)).toBeLessThan(1e-5);
      expect(r.one[15]!).toBeLessThan(r.one[0]!);
    });
  }

  it('matches Trainer on padded batches with masks (uneven target counts per worker) and a warm-up + cosine schedule', async () => {
    const r0 = new Random(5);
    const data = batches(10, 5, 7, false, 13).map((b, k) => {
      // Row lengths 1..7: worker 0 (rows 0-2) and worker 1 (rows 3-4) hold different target counts.
      const mask = new Float32Array(35);
      for (let row = 0; row < 5; row++) {
        const len = 1 + ((row * 3 + k + r0.int(3)) % 7);
        mask.fill(1, row * 7, row * 7 + len);
      }
      return { ...b, mask };
    });
    const counts = data.map((b) => [0, 1].map((w) => Array.from(b.mask!.subarray(w === 0 ? 0 : 21, w === 0 ? 21 : 35)).reduce((a, v) => a + v, 0)));
    expect(counts.some(([a, b]) => a !== b)).toBe(true);
    const schedule: ScheduleSpec = { type: 'chain', schedules: [{ type: 'warmup', steps: 4 }, { type: 'cosine', tMax: 20, minFactor: 0.1 }] };
    const r = await parity({ type: 'adamw', lr: 0.03 }, (m) => new AdamW(m.parameters(), { lr: 0.03 }), data, 0.5, 2, schedule, { ...config, hiddenSize: 9 });
    expect(Math.max(...r.one.map((l, i) => Math.abs(l - r.two[i]!)))).toBeLessThan(1e-5);
    expect(r.lrs[1]).toEqual(r.lrs[0]);
    expect(new Set(r.lrs[0]).size).toBeGreaterThan(5);
    expect(maxDiff(r.parallel, r.single)).toBeLessThan(1e-5);
    expect(Math.abs(r.history[1]!.loss - r.trainer.history[1]!.loss)).toBeLessThan(1e-5);
    expect(r.history[1]!.tokens).toBe(r.trainer.history[1]!.tokens);
  });

  it('interrupted inside an epoch, checkpointed and resumed in a new trainer, it matches one uninterrupted Trainer run', async () => {
    const data = batches(9, 5, 6, true, 17);
    const single = new LanguageModel({ ...config, random: new Random(3) });
    const start = single.stateDict();
    const one = recorder();
    const trainer = new Trainer({ model: single, optimizer: new SGD(single.parameters(), { lr: 0.5, momentum: 0.9 }), clipNorm: 1, callbacks: [one.callback], random: new Random(8) });
    await trainer.fit({ epochs: 2, data: () => data });

    const two = recorder();
    const first = new DataParallelTrainer({
      model: { config, stateDict: start },
      optimizer: { type: 'sgd', lr: 0.5, momentum: 0.9 },
      clipNorm: 1,
      workers: 2,
      workerUrl,
      random: new Random(8),
      callbacks: [two.callback, { onStep: (i, t) => void (i.step === 13 && t.interrupt()) }],
    });
    tf.dispose(Object.values(start));
    await first.fit({ epochs: 2, data: () => data });
    // The step in flight when interrupted (14) is finished too: stopped in epoch 2 after batch 5.
    const state = first.getState();
    expect(state.position).toMatchObject({ epoch: 2, batches: 5 });
    expect(first.carriedState()?.h.shape).toEqual([1, 5, 16]);
    const files = trainingCheckpointFiles({ model: first.model, optimizer: first.optimizer, trainer: state, carriedState: first.carriedState(), tokenizer: { level: 'char', preprocess: 'none' }, vocab: { tokens: Array.from({ length: V }, (_, i) => String(i)), unk: null } });
    first.dispose();
    first.model.dispose();

    const loaded = checkpointFromFiles(files);
    const second = new DataParallelTrainer({ model: loaded.model, optimizer: { type: 'sgd', lr: 0.5, momentum: 0.9 }, clipNorm: 1, workers: 2, workerUrl, random: new Random(0), callbacks: [two.callback] });
    second.optimizer.loadStateDict(loaded.optimizer!);
    second.setState(loaded.trainer!, loaded.carriedState);
    tf.dispose([...Object.values(loaded.optimizer!.tensors), loaded.carriedState!.h, ...(loaded.carriedState!.c ? [loaded.carriedState!.c] : [])]);
    await second.fit({ epochs: 2, data: () => data });
    expect(two.losses).toHaveLength(18);
    expect(Math.max(...one.losses.map((l, i) => Math.abs(l - two.losses[i]!)))).toBeLessThan(1e-5);
    expect(maxDiff(flatWeights(second.model), flatWeights(single))).toBeLessThan(1e-5);
    expect(second.history.map((h) => h.steps)).toEqual([9, 9]);
    expect(Math.abs(second.history[1]!.loss - trainer.history[1]!.loss)).toBeLessThan(1e-5);
    single.dispose();
    second.model.dispose();
  });

  it('a worker that dies mid-fit is a WorkerError, the other workers are stopped, and the model keeps its last whole weights', async () => {
    const model = new LanguageModel({ ...config, random: new Random(3) });
    const before = flatWeights(model);
    let killed = false;
    const dp = new DataParallelTrainer({
      model,
      optimizer: { type: 'sgd', lr: 1 },
      workers: 2,
      workerUrl,
      callbacks: [
        {
          onStep: async (i, t) => {
            if (i.step !== 2 || killed) return;
            killed = true;
            // A real death: the thread is terminated, as a crash or an out-of-memory would end it.
            await (t as unknown as { pool: { workers: { terminate(): Promise<number> }[] } }).pool.workers[1]!.terminate();
          },
        },
      ],
    });
    const error = await dp.fit({ epochs: 1, data: () => batches(6, 4, 5, false) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as WorkerError).worker).toBe(1);
    expect((error as Error).message).toMatch(/worker 1 died: data-parallel worker exited with code 1 while training/);
    expect(dp.liveWorkers).toBe(0);
    expect(dp.step).toBe(2);
    // Mid-epoch weights live in the workers: the model keeps the last it was given (the start).
    flatWeights(model).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(before[i]!)));
    model.dispose();
  });

  it("composes with the pool: each worker's kernels on its own threads give the same weights bit for bit", async () => {
    // 8 rows × 8 steps × H 64 per worker: its sequence kernels split between its two threads.
    const data = batches(3, 16, 8, false);
    const start = new LanguageModel({ ...config, hiddenSize: 64, random: new Random(5) });
    const state = start.stateDict();
    const run = async (threadsPerWorker: number) => {
      const dp = new DataParallelTrainer({ model: { config: { ...config, hiddenSize: 64 }, stateDict: state }, optimizer: { type: 'sgd', lr: 0.5 }, clipNorm: 1, workers: 2, threadsPerWorker, workerUrl });
      expect(dp.threadsPerWorker).toBe(threadsPerWorker);
      await dp.fit({ epochs: 1, data: () => data });
      const w = flatWeights(dp.model);
      dp.model.dispose();
      return w;
    };
    const one = await run(1);
    const two = await run(2);
    two.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(one[i]!.buffer))).toBe(true));
    start.dispose();
    tf.dispose(Object.values(state));
  });

  it('refuses bad options before starting any worker', () => {
    const base: DataParallelTrainerOptions = { model: { config }, optimizer: { type: 'sgd', lr: 1 }, workerUrl: 'file:///nonexistent.js' };
    expect(() => new DataParallelTrainer({ ...base, workers: 0 })).toThrow(InvalidArgumentError);
    expect(() => new DataParallelTrainer({ ...base, threadsPerWorker: 0 })).toThrow("DataParallelTrainer: 'options.threadsPerWorker' must be a positive integer, got 0");
    expect(() => new DataParallelTrainer({ ...base, optimizer: { type: 'lbfgs' } as unknown as OptimizerSpec })).toThrow(/'options.optimizer.type' must be one of 'sgd', 'adam', 'adamw', 'rmsprop'/);
    expect(() => new DataParallelTrainer({ ...base, optimizer: { type: 'sgd', lr: -1 } })).toThrow(InvalidArgumentError);
    expect(() => new DataParallelTrainer({ ...base, clipNorm: 0 })).toThrow(InvalidArgumentError);
  });

  it('leaves no tensors behind on the main thread across fits, nor in the workers across epochs', async () => {
    const model = new LanguageModel({ ...config, random: new Random(3) });
    const inWorkers: { numTensors: number }[][] = [];
    const dp = new DataParallelTrainer({
      model,
      optimizer: { type: 'adam', lr: 0.01 },
      clipNorm: 1,
      workers: 2,
      workerUrl,
      callbacks: [{ onEpochEnd: async (_s, t) => void inWorkers.push(await (t as DataParallelTrainer).workerMemory()) }],
    });
    const data = (_epoch: number): TrainBatch[] => batches(2, 4, 5, true).map((b) => ({ ...b, x: tf.tensor2d(b.x as Int32Array, [4, 5], 'int32') }));
    await dp.fit({ epochs: 3, data });
    expect(inWorkers).toHaveLength(3);
    expect(inWorkers[2]!.map((m) => m.numTensors)).toEqual(inWorkers[0]!.map((m) => m.numTensors));
    const before = memorySnapshot();
    await dp.fit({ epochs: 4, data });
    await dp.fit({ epochs: 5, data });
    const after = memorySnapshot();
    expect(after.numTensors).toBe(before.numTensors);
    expect(dp.epoch).toBe(5);
    expect(dp.liveWorkers).toBe(0);
    model.dispose();
  });
});
