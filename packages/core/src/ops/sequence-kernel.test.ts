// The whole-sequence ops on our WebAssembly SIMD kernels (H a multiple of 4) against the same ops
// with the kernels switched off (the JS gate math), values and every gradient; and the kernels'
// memory stays the same size across training steps.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, Random, setOwnGemmEnabled, setWasmKernelsEnabled, tf, wasmKernelsEnabled, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { sequenceArena } from '../wasm/sequence-arena';
import { gruSequence } from './gru-sequence';
import { lstmSequence } from './lstm-sequence';
import { rnnSequence } from './rnn-sequence';

beforeAll(async () => {
  await init();
});

afterEach(() => {
  setWasmKernelsEnabled(true);
  setOwnGemmEnabled(true);
});

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
function run(cell: Cell, c: Case, seed: number, kernels: boolean): Float32Array[] {
  setWasmKernelsEnabled(kernels);
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
  { T: 35, B: 4, I: 28, H: 64, ids: true, bias: true, reverse: false },
];

describe('whole-sequence ops on the WebAssembly SIMD kernels', () => {
  it('the module is in use here (SIMD available)', () => {
    expect(wasmKernelsEnabled()).toBe(true);
    expect(sequenceArena(8)).not.toBeNull();
    expect(sequenceArena(6)).toBeNull(); // not a multiple of the SIMD width: JS gate math
  });

  for (const cell of ['lstm', 'gru', 'rnn-tanh', 'rnn-relu'] as const)
    for (const [n, c] of cases.entries()) {
      it(`${cell} matches the JS gate math: ${JSON.stringify(c)}`, () => {
        const a = run(cell, c, 40 + n, true);
        const b = run(cell, c, 40 + n, false);
        expect(a.length).toBe(b.length);
        a.forEach((v, i) => {
          expect(v.length).toBe(b[i]!.length);
          const scale = Math.max(1, ...Array.from(b[i]!, Math.abs));
          expect(maxAbsDiff(v, b[i]!) / scale, `value ${i} (scale ${scale})`).toBeLessThan(1e-5);
        });
      });
    }

  for (const cell of ['lstm', 'gru', 'rnn-tanh'] as const)
    for (const n of [0, 3]) {
      it(`${cell}: per-step products through XNNPACK (our GEMM off) match our GEMM in the arena: ${JSON.stringify(cases[n])}`, () => {
        setOwnGemmEnabled(false);
        const a = run(cell, cases[n]!, 70 + n, true);
        setOwnGemmEnabled(true);
        const b = run(cell, cases[n]!, 70 + n, true);
        a.forEach((v, i) => {
          const scale = Math.max(1, ...Array.from(b[i]!, Math.abs));
          expect(maxAbsDiff(v, b[i]!) / scale, `value ${i}`).toBeLessThan(1e-5);
        });
      });
    }

  it('reuses its memory across training steps (no growth)', () => {
    const c = cases[4]!;
    const cells = ['lstm', 'gru', 'rnn-tanh'] as const;
    // Two rounds first: the cache of packed matmul right sides (bounded) fills up.
    for (let s = 0; s < 2; s++) for (const cell of cells) run(cell, c, 1, true);
    const arena = sequenceArena(c.H)!;
    const reserved = arena.reservedBytes;
    for (let s = 0; s < 4; s++) for (const cell of cells) run(cell, c, 2 + s, true);
    expect(arena.reservedBytes).toBe(reserved);
  });
});
