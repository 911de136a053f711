// The relaxed-SIMD build of our module (fused multiply-adds in the GEMM), which engines with
// relaxed SIMD load instead of the plain one: Node 22+ and Chrome by default, Node 20 behind
// --experimental-wasm-relaxed-simd, set here before the module is compiled (test files run in
// their own processes). Its products must match the cpu backend like the plain build's.
import v8 from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, Random, tf } from '../index';
import { moduleVariant } from '../tuning';
import { expectSameOnWasmAndCpu } from '../test-support/compare-backends';

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
