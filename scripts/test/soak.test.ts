// A long run stays flat: a small character LSTM trains on Moby-Dick (sequential batches, state
// carried, Adam, clipping) with a checkpoint every N steps. At every checkpoint the live tensor
// count is the same, the process's RSS stays within 10% of what it was at the first checkpoint,
// and the checkpoint just written loads (model, optimizer, trainer state at that step). `pnpm soak`
// runs 20,000 steps with a checkpoint every 1,000 (RECURRENT_SOAK_STEPS, RECURRENT_SOAK_EVERY);
// `pnpm test` runs 400 steps with one every 100. Memory is read after a full garbage collection:
// what the process holds, not how far behind its collector happens to be (without it, one
// 20,000-step run read 1.11x at step 3,000 and 1.00x at the end).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Random, init, manualSeed, tf } from '@recurrent/core';
import { buildCorpus, loadMobyDick, sequentialBatches } from '@recurrent/datasets';
import { LanguageModel, disposeState } from '@recurrent/layers';
import { Adam, Trainer } from '@recurrent/train';
import { checkpointEvery, loadCheckpoint } from '@recurrent/train/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const STEPS = Number(process.env.RECURRENT_SOAK_STEPS ?? 400);
const EVERY = Number(process.env.RECURRENT_SOAK_EVERY ?? 100);
const HIDDEN = Number(process.env.RECURRENT_SOAK_HIDDEN ?? 32);

// V8's gc() without restarting the process with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let dir = '';
beforeAll(async () => {
  await init();
  dir = await mkdtemp(join(tmpdir(), 'recurrent-soak-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Mark {
  step: number;
  tensors: number;
  rss: number;
  heap: number;
  loss: number;
}

describe(`soak: ${STEPS} steps, a checkpoint every ${EVERY}`, () => {
  it('keeps the tensor count and the memory flat, and every checkpoint loads', async () => {
    manualSeed(0);
    const random = new Random(0);
    const text = (await loadMobyDick()).slice(0, 400_000);
    const tokenizer = { level: 'char' as const, preprocess: 'd2l' as const };
    const corpus = await buildCorpus(text, tokenizer);
    const model = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: corpus.vocab.size, hiddenSize: HIDDEN, random });
    const optimizer = new Adam(model.parameters(), { lr: 0.005 });
    const trainer = new Trainer({ model, optimizer, clipNorm: 1, random });
    const sampler = sequentialBatches(corpus.ids, { batchSize: 16, numSteps: 32, random });
    const ckpt = join(dir, 'ckpt');
    const marks: Mark[] = [];
    const started = performance.now();
    let lossSum = 0;
    let lossCount = 0;
    trainer.callbacks.push(checkpointEvery({ dir: ckpt, trainer, model, tokenizer, vocab: corpus.vocab, steps: EVERY }));
    trainer.callbacks.push({
      async onStep(info, t) {
        lossSum += info.loss;
        lossCount += 1;
        if (info.step % EVERY === 0) {
          // The checkpoint the callback above just wrote loads, at this step.
          const loaded = await loadCheckpoint(ckpt);
          expect(loaded.trainer?.step).toBe(info.step);
          expect(loaded.optimizer?.scalars.steps[0]).toBe(info.step);
          tf.dispose(Object.values(loaded.optimizer!.tensors));
          disposeState(loaded.carriedState);
          loaded.model.dispose();
          gc();
          const m = process.memoryUsage();
          marks.push({ step: info.step, tensors: tf.memory().numTensors, rss: m.rss, heap: m.heapUsed, loss: lossSum / lossCount });
          lossSum = 0;
          lossCount = 0;
        }
        if (info.step >= STEPS) t.interrupt();
      },
    });
    await trainer.fit({ epochs: Math.ceil(STEPS / sampler.numBatches()) + 1, data: () => sampler });
    const seconds = (performance.now() - started) / 1000;
    trainer.dispose();
    optimizer.dispose();
    model.dispose();

    expect(trainer.step).toBe(STEPS);
    expect(marks.map((m) => m.step)).toEqual(Array.from({ length: STEPS / EVERY }, (_, i) => (i + 1) * EVERY));
    const first = marks[0]!;
    const mb = (b: number) => (b / 2 ** 20).toFixed(1);
    const maxRss = Math.max(...marks.map((m) => m.rss));
    console.log(
      `soak: ${STEPS} steps in ${seconds.toFixed(0)} s, ${marks.length} checkpoints loaded; tensors ${[...new Set(marks.map((m) => m.tensors))].join(', ')}; ` +
        `RSS first ${mb(first.rss)} MB, last ${mb(marks.at(-1)!.rss)} MB, max ${mb(maxRss)} MB; heap ${mb(first.heap)} -> ${mb(marks.at(-1)!.heap)} MB; ` +
        `loss ${first.loss.toFixed(3)} -> ${marks.at(-1)!.loss.toFixed(3)}`,
    );
    for (const m of marks) expect(m.tensors, `live tensors at step ${m.step}`).toBe(first.tensors);
    for (const m of marks) expect(m.rss / first.rss, `RSS at step ${m.step} against step ${first.step}`).toBeLessThan(1.1);
    expect(marks.at(-1)!.loss).toBeLessThan(first.loss);
  });
});
