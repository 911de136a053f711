import { torchCase } from '@recurrent/fixtures';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, tf, type Tensor } from '../index';
import { expectCloseToFixture, expectTensorsClose, fromFixture, type FixtureTensor } from '../testing';
import { gruSequence, lstmSequence, rnnSequence } from './sequence';

// PyTorch's bidirectional one-layer cases: the forward direction runs the sequence op on the l0
// weights, the reverse direction runs it with `reverse: true` on the l0_reverse weights.

interface SeqFixture {
  config: { nonlinearity?: 'tanh' | 'relu' };
  params: Record<string, FixtureTensor>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
}

beforeAll(async () => {
  await init();
});

const cases = [
  ['lstm', 'lstm/l1_bi_seqfirst_h0'],
  ['gru', 'gru/l1_bi_seqfirst_h0'],
  ['rnn', 'rnn/tanh_l1_bi_seqfirst_h0'],
  ['rnn', 'rnn/relu_l1_bi_seqfirst_h0'],
] as const;

describe('sequence ops against PyTorch (bidirectional, one layer)', () => {
  for (const [kind, file] of cases) {
    it(file, () => {
      const fx = torchCase(...(file.split('/') as [string, string])) as SeqFixture;
      tf.tidy(() => {
        const keys = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'];
        const names = [...keys, ...keys.map((k) => `${k}_reverse`)];
        const params = names.map((k) => fromFixture(fx.params[k]!));
        const x = fromFixture(fx.inputs.x!);
        const h0 = fromFixture(fx.inputs.h0!);
        const c0 = fx.inputs.c0 ? fromFixture(fx.inputs.c0) : null;
        const inputNames = ['x', 'h0', ...(c0 ? ['c0'] : [])];
        const gOut = fromFixture(fx.inputs.g_output!);
        const gH = fromFixture(fx.inputs.g_h_n!);
        const gC = fx.inputs.g_c_n ? fromFixture(fx.inputs.g_c_n) : null;
        const loss = (...ts: Tensor[]): Tensor => {
          const [xx, hh, ...rest] = ts as [Tensor, Tensor, ...Tensor[]];
          const cc = c0 ? rest.shift()! : null;
          const [hf, hb] = tf.unstack(hh) as [Tensor, Tensor];
          const [cf, cb] = cc ? (tf.unstack(cc) as [Tensor, Tensor]) : [null, null];
          const run = (p: Tensor[], h: Tensor, c: Tensor | null, reverse: boolean) => {
            const [wi, wh, bi, bh] = p as [Tensor, Tensor, Tensor, Tensor];
            if (kind === 'lstm') return lstmSequence(xx, h, c!, wi, wh, bi, bh, { reverse });
            if (kind === 'gru')
              return { ...gruSequence(xx, h, wi, wh, bi, bh, { reverse }), c: null };
            return {
              ...rnnSequence(xx, h, wi, wh, bi, bh, {
                reverse,
                nonlinearity: fx.config.nonlinearity!,
              }),
              c: null,
            };
          };
          const f = run(rest.slice(0, 4), hf, cf, false);
          const b = run(rest.slice(4), hb, cb, true);
          const output = tf.concat([f.output, b.output], 2);
          const hN = tf.stack([f.h, b.h]);
          expectTensorsClose(output, fx.outputs.output!, { name: 'output' });
          expectTensorsClose(hN, fx.outputs.h_n!, { name: 'h_n' });
          let l = tf.add(tf.sum(tf.mul(output, gOut)), tf.sum(tf.mul(hN, gH)));
          if (f.c && b.c) {
            const cN = tf.stack([f.c, b.c]);
            expectTensorsClose(cN, fx.outputs.c_n!, { name: 'c_n' });
            l = tf.add(l, tf.sum(tf.mul(cN, gC!)));
          }
          return l;
        };
        const grads = tf.grads(loss)([x, h0, ...(c0 ? [c0] : []), ...params]);
        const gradNames = [
          ...inputNames.map((n) => `inputs.${n}`),
          ...names.map((n) => `params.${n}`),
        ];
        gradNames.forEach((n, i) =>
          expectCloseToFixture(grads[i]!, fx.grads[n]!, { name: n }),
        );
        expect(gradNames.length).toBe(Object.keys(fx.grads).length);
      });
    });
  }
});
