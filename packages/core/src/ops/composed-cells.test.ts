import { torchCase, torchCaseNames } from '@recurrent/fixtures';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, tf, type Tensor, ShapeError } from '../index';
import { expectCloseToFixture, expectTensorsClose, fromFixture, type FixtureTensor } from '../testing';
import {
  gruCellStep,
  gruCellStepProjected,
  lstmCellStep,
  lstmCellStepProjected,
  projectInput,
  rnnCellStep,
  rnnCellStepProjected,
} from './composed-cells';

interface CellFixture {
  kind: 'lstm_cell' | 'gru_cell' | 'rnn_cell';
  config: {
    input_size: number;
    hidden_size: number;
    bias: boolean;
    nonlinearity?: 'tanh' | 'relu';
  };
  params: Record<string, FixtureTensor>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

beforeAll(async () => {
  await init();
});

describe('cell steps: hand-computed PyTorch formulas', () => {
  // B = 1, I = 1, H = 1: every gate is a scalar, so PyTorch's formulas can be written out.
  const x = 0.5;
  const h = -0.3;
  const c = 0.8;
  it('rnnCellStep tanh and relu', () => {
    const out = tf.tidy(() => {
      const args = [
        tf.tensor2d([[x]]),
        tf.tensor2d([[h]]),
        tf.tensor2d([[0.7]]),
        tf.tensor2d([[-1.2]]),
        tf.tensor1d([0.1]),
        tf.tensor1d([-0.4]),
      ] as const;
      return [
        rnnCellStep(...args, 'tanh').dataSync()[0]!,
        rnnCellStep(...args, 'relu').dataSync()[0]!,
      ];
    });
    const pre = 0.7 * x + 0.1 + -1.2 * h - 0.4;
    expect(out[0]).toBeCloseTo(Math.tanh(pre), 6);
    expect(out[1]).toBeCloseTo(Math.max(0, pre), 6);
  });

  it('lstmCellStep uses gate order i, f, g, o', () => {
    const wi = [0.1, -0.2, 0.3, 0.4];
    const wh = [0.5, 0.6, -0.7, 0.8];
    const bi = [0.01, 0.02, 0.03, 0.04];
    const bh = [-0.05, 0.06, 0.07, -0.08];
    const res = tf.tidy(() => {
      const r = lstmCellStep(
        tf.tensor2d([[x]]),
        tf.tensor2d([[h]]),
        tf.tensor2d([[c]]),
        tf.tensor2d(wi, [4, 1]),
        tf.tensor2d(wh, [4, 1]),
        tf.tensor1d(bi),
        tf.tensor1d(bh),
      );
      return [r.h.dataSync()[0]!, r.c.dataSync()[0]!];
    });
    const g = [0, 1, 2, 3].map((k) => wi[k]! * x + bi[k]! + wh[k]! * h + bh[k]!);
    const c1 = sig(g[1]!) * c + sig(g[0]!) * Math.tanh(g[2]!);
    const h1 = sig(g[3]!) * Math.tanh(c1);
    expect(res[0]).toBeCloseTo(h1, 6);
    expect(res[1]).toBeCloseTo(c1, 6);
  });

  it('gruCellStep uses gate order r, z, n with the reset after the hidden bias', () => {
    const wi = [0.3, -0.6, 0.9];
    const wh = [-0.4, 0.2, 1.1];
    const bi = [0.05, -0.1, 0.2];
    const bh = [0.3, 0.1, -0.7];
    const out = tf.tidy(
      () =>
        gruCellStep(
          tf.tensor2d([[x]]),
          tf.tensor2d([[h]]),
          tf.tensor2d(wi, [3, 1]),
          tf.tensor2d(wh, [3, 1]),
          tf.tensor1d(bi),
          tf.tensor1d(bh),
        ).dataSync()[0]!,
    );
    const r = sig(wi[0]! * x + bi[0]! + wh[0]! * h + bh[0]!);
    const z = sig(wi[1]! * x + bi[1]! + wh[1]! * h + bh[1]!);
    const n = Math.tanh(wi[2]! * x + bi[2]! + r * (wh[2]! * h + bh[2]!));
    expect(out).toBeCloseTo((1 - z) * n + z * h, 6);
  });

  it('projected variants equal the full steps', () => {
    tf.tidy(() => {
      const B = 3;
      const I = 4;
      const H = 5;
      const xs = tf.randomNormal([B, I], 0, 1, 'float32', 1);
      const hs = tf.randomNormal([B, H], 0, 1, 'float32', 2);
      const cs = tf.randomNormal([B, H], 0, 1, 'float32', 3);
      for (const G of [1, 3, 4]) {
        const wIh = tf.randomNormal([G * H, I], 0, 0.5, 'float32', 4);
        const wHh = tf.randomNormal([G * H, H], 0, 0.5, 'float32', 5);
        const bIh = tf.randomNormal([G * H], 0, 0.5, 'float32', 6);
        const bHh = tf.randomNormal([G * H], 0, 0.5, 'float32', 7);
        const xp = projectInput(xs, wIh, bIh);
        if (G === 1)
          expectTensorsClose(
            rnnCellStepProjected(xp, hs, wHh, bHh, 'tanh'),
            rnnCellStep(xs, hs, wIh, wHh, bIh, bHh, 'tanh'),
          );
        if (G === 3)
          expectTensorsClose(
            gruCellStepProjected(xp, hs, wHh, bHh),
            gruCellStep(xs, hs, wIh, wHh, bIh, bHh),
          );
        if (G === 4) {
          const a = lstmCellStepProjected(xp, hs, cs, wHh, bHh);
          const b = lstmCellStep(xs, hs, cs, wIh, wHh, bIh, bHh);
          expectTensorsClose(a.h, b.h);
          expectTensorsClose(a.c, b.c);
        }
      }
    });
  });

  it('rejects bad shapes with a ShapeError before allocating', () => {
    const z = (s: number[]): Tensor => tf.zeros(s);
    const [x, h, c, wIh, wHh, b, b15, x5, h3, w43, w44] = [
      z([2, 3]),
      z([2, 4]),
      z([2, 4]),
      z([16, 3]),
      z([16, 4]),
      z([16]),
      z([15]),
      z([2, 5]),
      z([3, 4]),
      z([4, 3]),
      z([4, 4]),
    ];
    const before = tf.memory().numTensors;
    expect(() => lstmCellStep(x, h, c, wIh, wHh, b, b15)).toThrow(ShapeError);
    expect(() => lstmCellStep(x5, h, c, wIh, wHh, null, null)).toThrow(
      /'wIh' must be of shape \[16, 5\]/,
    );
    expect(() => lstmCellStep(x, h3, c, wIh, wHh, null, null)).toThrow(/'h' must be/);
    expect(() => gruCellStep(x, h, wIh, wHh, null, null)).toThrow(/'wHh'/);
    expect(() => rnnCellStep(x, h, w43, w44, null, null, 'sigmoid' as 'tanh')).toThrow(
      /nonlinearity/,
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, h, c, wIh, wHh, b, b15, x5, h3, w43, w44]);
  });
});

describe('cell steps: PyTorch fixtures (values and gradients)', () => {
  const files = ['lstm_cell', 'gru_cell', 'rnn_cell'].flatMap((kind) =>
    torchCaseNames(kind).map((name) => `${kind}/${name}`),
  );
  it('has fixtures for every cell', () => {
    expect(files.filter((f) => f.startsWith('lstm_cell/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('gru_cell/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('rnn_cell/')).length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, () => {
      const [kind, name] = file.split('/') as [string, string];
      const fx = torchCase(kind, name) as CellFixture;
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const p = (k: string): Tensor | null => (fx.params[k] ? fromFixture(fx.params[k]) : null);
        const B = fx.inputs.x!.shape[0]!;
        const H = fx.config.hidden_size;
        const x = fromFixture(fx.inputs.x!);
        const h0 = fx.inputs.h0 ? fromFixture(fx.inputs.h0) : tf.zeros([B, H]);
        const c0 = fx.inputs.c0 ? fromFixture(fx.inputs.c0) : tf.zeros([B, H]);
        const wIh = p('weight_ih')!;
        const wHh = p('weight_hh')!;
        const bIh = p('bias_ih');
        const bHh = p('bias_hh');
        const gH = fromFixture(fx.inputs.g_h1!);
        const gC = fx.inputs.g_c1 ? fromFixture(fx.inputs.g_c1) : null;
        const names = [
          'inputs.x',
          'inputs.h0',
          'inputs.c0',
          'params.weight_ih',
          'params.weight_hh',
          'params.bias_ih',
          'params.bias_hh',
        ];
        const all = [x, h0, c0, wIh, wHh, bIh, bHh];
        const idx = all
          .map((t, i) => (t !== null && fx.grads[names[i]!] ? i : -1))
          .filter((i) => i >= 0);
        const loss = (...ts: Tensor[]): Tensor => {
          const v = all.slice() as (Tensor | null)[];
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
          if (fx.kind === 'lstm_cell') {
            const r = lstmCellStep(xx, hh, cc, wi, wh, bi, bh);
            expectTensorsClose(r.h, fx.outputs.h1!, { name: 'h1' });
            expectTensorsClose(r.c, fx.outputs.c1!, { name: 'c1' });
            return tf.add(tf.sum(tf.mul(r.h, gH)), tf.sum(tf.mul(r.c, gC!)));
          }
          const out =
            fx.kind === 'gru_cell'
              ? gruCellStep(xx, hh, wi, wh, bi, bh)
              : rnnCellStep(xx, hh, wi, wh, bi, bh, fx.config.nonlinearity ?? 'tanh');
          expectTensorsClose(out, fx.outputs.h1!, { name: 'h1' });
          return tf.sum(tf.mul(out, gH));
        };
        const grads = tf.grads(loss)(idx.map((i) => all[i]!));
        idx.forEach((k, j) =>
          expectCloseToFixture(grads[j]!, fx.grads[names[k]!]!, { name: names[k] }),
        );
        expect(Object.keys(fx.grads).length).toBe(idx.length);
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
