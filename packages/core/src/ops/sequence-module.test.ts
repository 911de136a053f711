// The whole-sequence ops on our module's route against the same ops with the module switched off
// (the composed route), values and every gradient, for hidden sizes on and off the padding; and
// the module's memory stays the same size across training steps.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, Random, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { moduleEnabled, setModuleEnabled } from '../tuning';
import { moduleMemory } from '../module/memory';
import { gruSequence, lstmSequence, rnnSequence } from './sequence';

beforeAll(async () => {
  await init();
});

afterEach(() => setModuleEnabled(true));

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

type Cell = 'lstm' | 'gru' | 'rnn-tanh' | 'rnn-relu';
const gatesOf: Record<Cell, number> = { lstm: 4, gru: 3, 'rnn-tanh': 1, 'rnn-relu': 1 };

interface Case {
  T: number;
  B: number;
  I: number;
  H: number;
  ids: boolean;
  bias: boolean;
  reverse: boolean;
}

/** Output, final states and the gradients of every input under a random linear loss. */
function run(cell: Cell, c: Case, seed: number, onModule: boolean): Float32Array[] {
  setModuleEnabled(onModule);
  const rng = new Random(seed);
  return tf.tidy(() => {
    const ids = Int32Array.from({ length: c.T * c.B }, () => rng.int(c.I));
    const x = c.ids ? tf.tensor(ids, [c.T, c.B], 'int32') : randomTensor(rng, [c.T, c.B, c.I]);
    const h0 = randomTensor(rng, [c.B, c.H], 0.5);
    const c0 = randomTensor(rng, [c.B, c.H], 0.5);
    const G = gatesOf[cell] * c.H;
    const w = Math.min(0.5, 2 / Math.sqrt(c.H)); // long sequences with larger weights turn chaotic
    const wIh = randomTensor(rng, [G, c.I], w);
    const wHh = randomTensor(rng, [G, c.H], w);
    const bIh = c.bias ? randomTensor(rng, [G], 0.5) : null;
    const bHh = c.bias ? randomTensor(rng, [G], 0.5) : null;
    const gOut = randomTensor(rng, [c.T, c.B, c.H]);
    const gC = randomTensor(rng, [c.B, c.H]);
    const lstm = cell === 'lstm';
    const vars = [h0, c0, wIh, wHh, ...(c.ids ? [] : [x]), ...(bIh && bHh ? [bIh, bHh] : [])];
    const values: Float32Array[] = [];
    const loss = (...v: Tensor[]): Tensor => {
      const [hh, cc, wi, wh] = v as [Tensor, Tensor, Tensor, Tensor];
      const xx = c.ids ? x : v[4]!;
      const bi = c.bias ? v[c.ids ? 4 : 5]! : null;
      const bh = c.bias ? v[c.ids ? 5 : 6]! : null;
      const opts = { reverse: c.reverse };
      const r = lstm
        ? lstmSequence(xx, hh, cc, wi, wh, bi, bh, opts)
        : cell === 'gru'
          ? gruSequence(xx, hh, wi, wh, bi, bh, opts)
          : rnnSequence(xx, hh, wi, wh, bi, bh, {
              ...opts,
              nonlinearity: cell === 'rnn-relu' ? 'relu' : 'tanh',
            });
      values.push(r.output.dataSync() as Float32Array, r.h.dataSync() as Float32Array);
      // The final h and (LSTM) c enter the loss too; an unused c0 gets a zero gradient.
      const last = tf.add(tf.sum(tf.mul(r.output, gOut)), tf.sum(tf.mul(r.h, gC)));
      return 'c' in r
        ? tf.add(last, tf.sum(tf.mul(r.c as Tensor, gC)))
        : tf.add(last, tf.mul(tf.sum(cc), 0));
    };
    const grads = tf.grads(loss)(vars);
    return [...values, ...grads.map((g) => g.dataSync() as Float32Array)];
  });
}

const cases: Case[] = [
  { T: 6, B: 3, I: 5, H: 12, ids: false, bias: true, reverse: false },
  { T: 5, B: 2, I: 7, H: 8, ids: true, bias: true, reverse: false },
  { T: 4, B: 4, I: 3, H: 16, ids: true, bias: false, reverse: true },
  { T: 3, B: 1, I: 4, H: 4, ids: false, bias: false, reverse: true },
  { T: 4, B: 5, I: 6, H: 5, ids: false, bias: true, reverse: false },
  { T: 7, B: 3, I: 9, H: 11, ids: true, bias: true, reverse: true },
  { T: 35, B: 4, I: 28, H: 64, ids: true, bias: true, reverse: false },
];

describe('whole-sequence ops on our module', () => {
  it('run on the module here (SIMD available)', () => {
    expect(moduleEnabled()).toBe(true);
  });

  for (const cell of ['lstm', 'gru', 'rnn-tanh', 'rnn-relu'] as const)
    for (const [n, c] of cases.entries()) {
      it(`${cell} equals the composed route: ${JSON.stringify(c)}`, () => {
        const a = run(cell, c, 40 + n, true);
        const b = run(cell, c, 40 + n, false);
        expect(a.length).toBe(b.length);
        // The composed route has its own tanh and products: through 35 steps of an RNN with gain 2
        // their float32 rounding differences grow to about 5e-5 (1e-4, as the parity tests allow).
        const tol = c.T > 10 ? 1e-4 : 1e-5;
        a.forEach((v, i) => {
          expect(v.length).toBe(b[i]!.length);
          const scale = Math.max(1, ...Array.from(b[i]!, Math.abs));
          expect(maxAbsDiff(v, b[i]!) / scale, `value ${i} (scale ${scale})`).toBeLessThan(tol);
        });
      });
    }

  it('reuses its memory across training steps (no growth)', () => {
    const c = cases[4]!;
    const cells = ['lstm', 'gru', 'rnn-tanh'] as const;
    // Two rounds first: the cache of packed matmul right sides (bounded) fills up.
    for (let s = 0; s < 2; s++) for (const cell of cells) run(cell, c, 1, true);
    const reserved = moduleMemory()!.reservedBytes;
    for (let s = 0; s < 4; s++) for (const cell of cells) run(cell, c, 2 + s, true);
    expect(moduleMemory()!.reservedBytes).toBe(reserved);
  });
});
