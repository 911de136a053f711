import { beforeAll, describe, expect, it } from 'vitest';
import { assertNoLeak, init, Random, ShapeError, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import {
  gruSequenceComposed,
  lstmSequenceComposed,
  rnnSequenceComposed,
} from './composed-sequence';
import { gruSequence, lstmSequence, rnnSequence } from './sequence';

beforeAll(async () => {
  await init();
});

type Kind = 'lstm' | 'gru' | 'rnn-tanh' | 'rnn-relu';
interface Shape {
  T: number;
  B: number;
  I: number;
  H: number;
  bias: boolean;
  reverse: boolean;
}

const gatesOf: Record<Kind, number> = { lstm: 4, gru: 3, 'rnn-tanh': 1, 'rnn-relu': 1 };

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

/** Runs fused and composed on the same random inputs; returns the max |diff| of values and of each gradient. */
function parity(kind: Kind, s: Shape, seed: number): Record<string, number> {
  const rng = new Random(seed);
  const G = gatesOf[kind];
  return tf.tidy(() => {
    const x = randomTensor(rng, [s.T, s.B, s.I]);
    const h0 = randomTensor(rng, [s.B, s.H], 0.5);
    const c0 = randomTensor(rng, [s.B, s.H], 0.5);
    const wIh = randomTensor(rng, [G * s.H, s.I], 0.5);
    const wHh = randomTensor(rng, [G * s.H, s.H], 0.5);
    const bIh = s.bias ? randomTensor(rng, [G * s.H], 0.5) : null;
    const bHh = s.bias ? randomTensor(rng, [G * s.H], 0.5) : null;
    const gOut = randomTensor(rng, [s.T, s.B, s.H]);
    const gH = randomTensor(rng, [s.B, s.H]);
    const gC = randomTensor(rng, [s.B, s.H]);
    const names = ['x', 'h0', 'c0', 'wIh', 'wHh', 'bIh', 'bHh'];
    const all = [x, h0, kind === 'lstm' ? c0 : null, wIh, wHh, bIh, bHh];
    const idx = all.map((t, i) => (t ? i : -1)).filter((i) => i >= 0);
    const run = (fused: boolean) => {
      const values: Tensor[] = [];
      const loss = (...ts: Tensor[]): Tensor => {
        const v = all.slice();
        idx.forEach((k, j) => (v[k] = ts[j]!));
        const [xx, hh, cc, wi, wh, bi, bh] = v as [
          Tensor,
          Tensor,
          Tensor,
          Tensor,
          Tensor,
          Tensor | null,
          Tensor | null,
        ];
        const opts = { reverse: s.reverse };
        if (kind === 'lstm') {
          const r = fused
            ? lstmSequence(xx, hh, cc, wi, wh, bi, bh, opts)
            : lstmSequenceComposed(xx, hh, cc, wi, wh, bi, bh, opts);
          values.push(tf.keep(r.output.clone()), tf.keep(r.h.clone()), tf.keep(r.c.clone()));
          return tf.addN([
            tf.sum(tf.mul(r.output, gOut)),
            tf.sum(tf.mul(r.h, gH)),
            tf.sum(tf.mul(r.c, gC)),
          ]);
        }
        const ro = {
          ...opts,
          nonlinearity: kind === 'rnn-relu' ? ('relu' as const) : ('tanh' as const),
        };
        const r =
          kind === 'gru'
            ? (fused ? gruSequence : gruSequenceComposed)(xx, hh, wi, wh, bi, bh, opts)
            : (fused ? rnnSequence : rnnSequenceComposed)(xx, hh, wi, wh, bi, bh, ro);
        values.push(tf.keep(r.output.clone()), tf.keep(r.h.clone()));
        return tf.addN([tf.sum(tf.mul(r.output, gOut)), tf.sum(tf.mul(r.h, gH))]);
      };
      const grads = tf.grads(loss)(idx.map((i) => all[i]!));
      return { values, grads };
    };
    const a = run(true);
    const b = run(false);
    const out: Record<string, number> = {};
    ['output', 'h', 'c']
      .slice(0, a.values.length)
      .forEach((n, i) => (out[n] = maxAbsDiff(a.values[i]!.dataSync(), b.values[i]!.dataSync())));
    idx.forEach((k, j) => {
      expect(a.grads[j]!.shape).toEqual(b.grads[j]!.shape);
      out[`d${names[k]}`] = maxAbsDiff(a.grads[j]!.dataSync(), b.grads[j]!.dataSync());
    });
    tf.dispose([...a.values, ...b.values]);
    return out;
  });
}

const shapes: Shape[] = [
  { T: 5, B: 3, I: 4, H: 6, bias: true, reverse: false },
  { T: 1, B: 2, I: 3, H: 5, bias: true, reverse: false },
  { T: 4, B: 1, I: 7, H: 3, bias: false, reverse: false },
  { T: 6, B: 2, I: 3, H: 4, bias: true, reverse: true },
  { T: 3, B: 4, I: 2, H: 8, bias: false, reverse: true },
];

for (const kind of ['lstm', 'gru', 'rnn-tanh', 'rnn-relu'] as const) {
  describe(`${kind} sequence: parity with the composed steps under autograd`, () => {
    for (const [n, s] of shapes.entries()) {
      it(`T=${s.T} B=${s.B} I=${s.I} H=${s.H} bias=${s.bias} reverse=${s.reverse}`, () => {
        const d = parity(kind, s, 100 + n);
        for (const [name, v] of Object.entries(d)) expect(v, name).toBeLessThan(1e-4);
        const want = [
          'output',
          'h',
          'dx',
          'dh0',
          'dwIh',
          'dwHh',
          ...(kind === 'lstm' ? ['c', 'dc0'] : []),
          ...(s.bias ? ['dbIh', 'dbHh'] : []),
        ];
        expect(Object.keys(d).sort()).toEqual(want.sort());
        if (process.env.PARITY_REPORT)
          console.log(kind, JSON.stringify(s), Math.max(...Object.values(d)).toExponential(2));
      });
    }
  });
}

describe('lstmSequence: edge cases', () => {
  it('a gradient through only part of the outputs (final h alone) still matches', () => {
    const rng = new Random(7);
    tf.tidy(() => {
      const x = randomTensor(rng, [4, 2, 3]);
      const h0 = tf.zeros([2, 5]);
      const c0 = tf.zeros([2, 5]);
      const wIh = randomTensor(rng, [20, 3], 0.5);
      const wHh = randomTensor(rng, [20, 5], 0.5);
      const f = (fused: boolean) => (wi: Tensor, wh: Tensor) =>
        tf.sum((fused ? lstmSequence : lstmSequenceComposed)(x, h0, c0, wi, wh, null, null).h);
      const a = tf.grads(f(true))([wIh, wHh]);
      const b = tf.grads(f(false))([wIh, wHh]);
      expect(maxAbsDiff(a[0]!.dataSync(), b[0]!.dataSync())).toBeLessThan(1e-5);
      expect(maxAbsDiff(a[1]!.dataSync(), b[1]!.dataSync())).toBeLessThan(1e-5);
    });
  });

  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    it(`${kind}: does not leak tensors in forward (with and without a tape) or backward`, async () => {
      const rng = new Random(3);
      const G = { lstm: 4, gru: 3, rnn: 1 }[kind];
      const ts = [
        randomTensor(rng, [5, 2, 3]),
        tf.zeros([2, 4]),
        tf.zeros([2, 4]),
        randomTensor(rng, [G * 4, 3]),
        randomTensor(rng, [G * 4, 4]),
        randomTensor(rng, [G * 4]),
        randomTensor(rng, [G * 4]),
      ];
      const [x, h0, c0, wIh, wHh, bIh, bHh] = ts as [
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
      ];
      const run = (a: Tensor, b: Tensor): { output: Tensor; h: Tensor; c?: Tensor } =>
        kind === 'lstm'
          ? lstmSequence(x, h0, c0, a, b, bIh, bHh)
          : kind === 'gru'
            ? gruSequence(x, h0, a, b, bIh, bHh)
            : rnnSequence(x, h0, a, b, bIh, bHh);
      await assertNoLeak(
        () => {
          const r = run(wIh, wHh);
          tf.dispose([r.output, r.h, ...(r.c ? [r.c] : [])]);
          const g = tf.grads((a: Tensor, b: Tensor) => tf.sum(run(a, b).output))([wIh, wHh]);
          tf.dispose(g);
        },
        { runs: 3, label: `${kind}Sequence` },
      );
      // The per-step buffers live on the backend outside the engine's count: check them there too.
      const ids = (): number => tf.engine().backend.numDataIds();
      const before = ids();
      tf.dispose(tf.grads((a: Tensor, b: Tensor) => tf.sum(run(a, b).output))([wIh, wHh]));
      expect(ids()).toBe(before);
      tf.dispose(ts);
    });
  }

  it('rejects bad shapes before allocating', () => {
    const z = (s: number[]): Tensor => tf.zeros(s);
    const ts = [z([5, 2, 3]), z([2, 4]), z([16, 3]), z([16, 4]), z([3, 4]), z([12, 4])];
    const [x, h, wIh, wHh, h3, w12] = ts as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const before = tf.memory().numTensors;
    expect(() => lstmSequence(x, h3, h, wIh, wHh, null, null)).toThrow(ShapeError);
    expect(() => lstmSequence(x, h, h, wIh, w12, null, null)).toThrow(/'wHh'/);
    expect(() => lstmSequence(h, h, h, wIh, wHh, null, null)).toThrow(/rank 3/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(ts);
  });
});
