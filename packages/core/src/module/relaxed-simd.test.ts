// The relaxed-SIMD build of our module (fused multiply-adds in the GEMM), which engines with
// relaxed SIMD load instead of the plain one: Node 22+ and Chrome by default, Node 20 behind
// --experimental-wasm-relaxed-simd, set here before the module is compiled (test files run in
// their own processes). Its products must match the cpu backend like the plain build's.
import v8 from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, Random, tf, type Tensor } from '../index';
import { moduleVariant } from '../tuning';
import { expectSameOnWasmAndCpu } from '../test-support/compare-backends';
import { expectCloseToFixture } from '../testing';
import { gruSequenceComposed, lstmSequenceComposed, rnnSequenceComposed } from '../ops/composed-sequence';
import { gruSequence, lstmSequence, rnnSequence } from '../ops/sequence';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

beforeAll(async () => {
  await init();
});

describe('our module built with relaxed SIMD', () => {
  it('is the build in use where the engine has relaxed SIMD', () => {
    expect(moduleVariant()).toBe('relaxed-simd');
  });

  for (const [m, k, n, tA, tB] of [
    [70, 130, 90, false, false],
    [33, 300, 64, true, false],
    [64, 257, 40, false, true],
    [300, 600, 20, true, true],
  ] as const) {
    it(`matches cpu: ${m}x${k}x${n}, transposeA=${tA} transposeB=${tB}, values and gradients`, async () => {
      const rng = new Random(m + k + n);
      const a = rng.normalArray(m * k);
      const b = rng.normalArray(k * n);
      const up = rng.normalArray(m * n);
      await expectSameOnWasmAndCpu(
        () => {
          const at = tf.tensor(a, tA ? [k, m] : [m, k]);
          const bt = tf.tensor(b, tB ? [n, k] : [k, n]);
          const f = (x: tf.Tensor, w: tf.Tensor) =>
            tf.sum(tf.mul(tf.matMul(x, w, tA, tB), tf.tensor(up, [m, n])));
          return [tf.matMul(at, bt, tA, tB), ...tf.grads(f)([at, bt])];
        },
        { atol: Math.max(1e-4, 2e-5 * Math.sqrt(Math.max(k, m, n))), rtol: 1e-4 },
      );
    });
  }
});

describe('the sequence ops on the relaxed-SIMD build', () => {
  const normal = (rng: Random, shape: number[], scale = 1): Tensor => tf.tensor(Float32Array.from(rng.normalArray(shape.reduce((a, b) => a * b, 1)), (v) => v * scale), shape);
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    for (const [T, B, I, H, reverse] of [
      [7, 5, 9, 16, false],
      [12, 3, 40, 33, true],
    ] as const) {
      it(`${kind} T=${T} B=${B} I=${I} H=${H}${reverse ? ' reversed' : ''}: values and every gradient equal the composed steps`, () => {
        expect(moduleVariant()).toBe('relaxed-simd');
        const rng = new Random(T * 31 + H);
        const G = { lstm: 4, gru: 3, rnn: 1 }[kind];
        tf.tidy(() => {
          const inputs = [normal(rng, [T, B, I]), normal(rng, [B, H], 0.5), normal(rng, [G * H, I], 0.3), normal(rng, [G * H, H], 0.3), normal(rng, [G * H], 0.3), normal(rng, [G * H], 0.3)];
          const c0 = normal(rng, [B, H], 0.5);
          const up = normal(rng, [T, B, H]);
          const run = (fused: boolean) => (x: Tensor, h0: Tensor, wi: Tensor, wh: Tensor, bi: Tensor, bh: Tensor) => {
            const r =
              kind === 'lstm'
                ? (fused ? lstmSequence : lstmSequenceComposed)(x, h0, c0, wi, wh, bi, bh, { reverse })
                : kind === 'gru'
                  ? (fused ? gruSequence : gruSequenceComposed)(x, h0, wi, wh, bi, bh, { reverse })
                  : (fused ? rnnSequence : rnnSequenceComposed)(x, h0, wi, wh, bi, bh, { reverse, nonlinearity: 'tanh' });
            return tf.add(tf.sum(tf.mul(r.output, up)), tf.sum(r.h));
          };
          const a = tf.valueAndGrads(run(true))(inputs);
          const b = tf.valueAndGrads(run(false))(inputs);
          expectCloseToFixture(a.value, b.value, { name: 'loss' });
          a.grads.forEach((g, i) => expectCloseToFixture(g, b.grads[i]!, { name: `gradient ${i}` }));
        });
      });
    }
  }
});
