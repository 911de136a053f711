// The public ops on our module give the same bits on one thread (the one-thread instance, no
// pool) as on two (a pool over a shared memory, every kernel split): the recurrent layers' time
// loops split by batch rows, products by rows or panels, the loss by rows; values and gradients.
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { init, Random, tf, type Tensor } from '../index';
import { moduleMemory } from '../module/memory';
import { setMinThreadWork } from '../module/route';
import { defaultThreads } from '../module/thread-count';
import { softmaxCrossEntropy } from './cross-entropy';
import { linear } from './linear';
import { packDense } from './packed-dense';
import { packStepWeights } from './packed-step';
import { gruSequence, lstmSequence, rnnSequence } from './sequence';

const twoThreads = availableParallelism() >= 2;
if (!twoThreads)
  console.warn(
    `skipped: one thread against two needs 2 cores, this machine has ${availableParallelism()}`,
  );

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

type Cell = 'lstm' | 'gru' | 'rnn';

/** A small language model's training step: every output and gradient, as arrays. */
function trainingStep(cell: Cell, reverse: boolean, ids: boolean): Float32Array[] {
  const rng = new Random(7);
  const [T, B, I, H, V] = [9, 13, 11, 20, 37];
  const G = { lstm: 4, gru: 3, rnn: 1 }[cell] * H;
  return tf.tidy(() => {
    const tokens = Int32Array.from({ length: T * B }, () => rng.int(I));
    const x = ids ? tf.tensor(tokens, [T, B], 'int32') : randomTensor(rng, [T, B, I]);
    const targets = tf.tensor(
      Int32Array.from({ length: T * B }, () => rng.int(V)),
      [T * B],
      'int32',
    );
    const vars = [
      randomTensor(rng, [B, H], 0.5), // h0
      randomTensor(rng, [B, H], 0.5), // c0
      randomTensor(rng, [G, I], 0.3),
      randomTensor(rng, [G, H], 0.3),
      randomTensor(rng, [G], 0.3),
      randomTensor(rng, [G], 0.3),
      randomTensor(rng, [V, H], 0.3), // the head
      randomTensor(rng, [V], 0.3),
      ...(ids ? [] : [x]),
    ];
    const outputs: Float32Array[] = [];
    const loss = (...v: Tensor[]): Tensor => {
      const [h0, c0, wIh, wHh, bIh, bHh, w, b] = v as Tensor[];
      const xx = ids ? x : v[8]!;
      const r =
        cell === 'lstm'
          ? lstmSequence(xx, h0!, c0!, wIh!, wHh!, bIh!, bHh!, { reverse })
          : cell === 'gru'
            ? gruSequence(xx, h0!, wIh!, wHh!, bIh!, bHh!, { reverse })
            : rnnSequence(xx, h0!, wIh!, wHh!, bIh!, bHh!, { reverse });
      outputs.push(r.output.dataSync() as Float32Array);
      const logits = linear(tf.reshape(r.output, [T * B, H]), w!, b!); // [T·B, V]
      const perRow = softmaxCrossEntropy(logits, targets);
      return tf.add(tf.mean(perRow), tf.mul(tf.sum(c0!), 0));
    };
    const grads = tf.grads(loss)(vars);
    return [...outputs, ...grads.map((g) => g.dataSync() as Float32Array)];
  });
}

/** Greedy-style generation steps on resident weights, one row and three rows at a time. */
function generationSteps(): Float32Array[] {
  const rng = new Random(3);
  const [I, H, V] = [29, 40, 300];
  const wIh = randomTensor(rng, [4 * H, I], 0.3);
  const wHh = randomTensor(rng, [4 * H, H], 0.3);
  const w = randomTensor(rng, [V, H], 0.3);
  const b = randomTensor(rng, [V], 0.3);
  const step = packStepWeights('lstm', wIh, wHh, null, null);
  const head = packDense(w, b);
  const out: Float32Array[] = [];
  for (const rows of [1, 3]) {
    let h: Float32Array = new Float32Array(rows * H);
    let c: Float32Array = new Float32Array(rows * H);
    for (let t = 0; t < 5; t++) {
      const ids = Int32Array.from({ length: rows }, (_, r) => (t * 7 + r) % I);
      const r = step.stepValues({ ids }, h, c, rows);
      h = r.h;
      c = r.c!;
      out.push(h.slice(), head.forwardValues(h, rows));
    }
  }
  step.dispose();
  head.dispose();
  tf.dispose([wIh, wHh, w, b]);
  return out;
}

function bits(values: Float32Array[]): Buffer[] {
  return values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength));
}

describe.skipIf(!twoThreads)('one thread and two threads give the same bits', () => {
  beforeAll(() => {
    setMinThreadWork(1); // split every kernel, however small
  });

  afterAll(async () => {
    setMinThreadWork(1 << 17);
    await init({ threads: defaultThreads() });
  });

  async function onThreads<T>(threads: number, fn: () => T): Promise<T> {
    const info = await init({ threads });
    expect(info.threads).toBe(threads);
    const mem = moduleMemory()!;
    expect(mem.threads).toBe(threads);
    if (threads === 1) return fn();
    // The work really is split: jobs go to the pool.
    const run = vi.spyOn(mem.threadPool!, 'run');
    try {
      const out = fn();
      expect(run).toHaveBeenCalled();
      return out;
    } finally {
      run.mockRestore();
    }
  }

  for (const cell of ['lstm', 'gru', 'rnn'] as const)
    for (const [reverse, ids] of [
      [false, true],
      [true, false],
    ] as const) {
      it(`${cell}${reverse ? ' reversed' : ''} with ${ids ? 'token ids' : 'vectors'}: outputs and every gradient of a training step`, async () => {
        const one = await onThreads(1, () => trainingStep(cell, reverse, ids));
        const two = await onThreads(2, () => trainingStep(cell, reverse, ids));
        expect(two.length).toBe(one.length);
        expect(bits(two)).toEqual(bits(one));
      });
    }

  it('a tensor product with the same right side, switching threads between calls: each time right', async () => {
    const rng = new Random(11);
    const a = randomTensor(rng, [40, 96]);
    const w = randomTensor(rng, [200, 96]); // packed once per memory, cached by tensor
    const products: Float32Array[] = [];
    for (const threads of [2, 1, 2, 1]) {
      await init({ threads });
      products.push(tf.tidy(() => tf.matMul(a, w, false, true).dataSync() as Float32Array));
    }
    tf.dispose([a, w]);
    for (const p of products) expect(bits([p])).toEqual(bits([products[0]!]));
  });

  it('generation on resident weights: the cell step and the head', async () => {
    const one = await onThreads(1, generationSteps);
    const two = await onThreads(2, generationSteps);
    expect(bits(two)).toEqual(bits(one));
  });
});
