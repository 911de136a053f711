// softmaxCrossEntropy: our module's kernels against the composed tfjs ops (values and
// the logits' gradient), ignored rows, label smoothing, class counts off the SIMD width, extreme
// logits, bad targets, and no tensors or module memory left behind across steps.
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, init, Random, ShapeError, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { moduleMemory } from '../module/memory';
import { moduleEnabled } from '../tuning';
import {
  softmaxCrossEntropy,
  softmaxCrossEntropyComposed,
  type SoftmaxCrossEntropyOptions,
} from './cross-entropy';

beforeAll(async () => {
  await init();
});

function logitsOf(rng: Random, M: number, C: number, scale: number): Tensor {
  return tf.tensor(
    Float32Array.from({ length: M * C }, () => rng.normal() * scale),
    [M, C],
  );
}

/** Loss per row and the gradient of Σ w·loss (w random) with respect to the logits. */
function lossAndGrad(
  f: typeof softmaxCrossEntropy,
  z: Tensor,
  t: Tensor,
  w: Tensor,
  options: SoftmaxCrossEntropyOptions,
): [Float32Array, Float32Array] {
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(f(z, t, options), w)) as tf.Scalar,
    [z as tf.Variable],
  );
  const loss = tf.tidy(() => f(z, t, options));
  const out: [Float32Array, Float32Array] = [
    loss.dataSync() as Float32Array,
    grads[(z as tf.Variable).name]!.dataSync() as Float32Array,
  ];
  tf.dispose([value, loss, ...Object.values(grads)]);
  return out;
}

describe('softmaxCrossEntropy', () => {
  it('runs on our module here (wasm with SIMD)', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(moduleEnabled()).toBe(true);
  });

  const cases: {
    M: number;
    C: number;
    scale: number;
    options: SoftmaxCrossEntropyOptions;
    ignoreEvery?: number;
  }[] = [
    { M: 64, C: 5000, scale: 3, options: {} },
    { M: 37, C: 28, scale: 1, options: {} },
    { M: 13, C: 7, scale: 2, options: { labelSmoothing: 0.1 } },
    { M: 20, C: 1, scale: 1, options: {} },
    { M: 30, C: 5, scale: 40, options: { ignoreIndex: 3 }, ignoreEvery: 4 },
    {
      M: 25,
      C: 101,
      scale: 1,
      options: { ignoreIndex: -100, labelSmoothing: 0.3 },
      ignoreEvery: 3,
    },
  ];
  for (const c of cases) {
    it(`matches the composed ops: M=${c.M}, C=${c.C}, scale ${c.scale}, ${JSON.stringify(c.options)}`, () => {
      const rng = new Random(c.M * 1000 + c.C);
      const z = tf.variable(logitsOf(rng, c.M, c.C, c.scale));
      const ignore = c.options.ignoreIndex ?? -100;
      const ids = Int32Array.from({ length: c.M }, (_, m) =>
        c.ignoreEvery && m % c.ignoreEvery === 1 ? ignore : Math.floor(rng.float() * c.C),
      );
      const t = tf.tensor1d(ids, 'int32');
      const w = tf.tensor1d(Float32Array.from({ length: c.M }, () => rng.float() + 0.5));
      const [fast, fastGrad] = lossAndGrad(softmaxCrossEntropy, z, t, w, c.options);
      const [ref, refGrad] = lossAndGrad(softmaxCrossEntropyComposed, z, t, w, c.options);
      expect(maxAbsDiff(fast, ref)).toBeLessThan(1e-5 * Math.max(1, c.scale));
      expect(maxAbsDiff(fastGrad, refGrad)).toBeLessThan(2e-5); // float32 rounding of e^(z - lse) against e^(log p)
      for (let m = 0; m < c.M; m++) {
        if (ids[m] === ignore) {
          expect(fast[m]).toBe(0);
          expect(fastGrad.subarray(m * c.C, (m + 1) * c.C).every((v) => v === 0)).toBe(true);
        } else expect(fast[m]).toBeGreaterThanOrEqual(-1e-6);
      }
      tf.dispose([z, t, w]);
    });
  }

  it('gives PyTorch numbers: uniform logits cost log C, a sure prediction costs 0', () => {
    const z = tf.tensor2d([
      [0, 0, 0, 0, 0],
      [100, 0, 0, 0, 0],
    ]);
    const t = tf.tensor1d([2, 0], 'int32');
    const loss = softmaxCrossEntropy(z, t).dataSync();
    expect(loss[0]).toBeCloseTo(Math.log(5), 6);
    expect(loss[1]).toBeCloseTo(0, 6);
    tf.dispose([z, t]);
  });

  it('rejects targets outside [0, C) that are not ignoreIndex, and bad shapes, naming the argument', () => {
    const z = tf.zeros([2, 4]);
    const bad = tf.tensor1d([1, 4], 'int32');
    expect(() => softmaxCrossEntropy(z, bad)).toThrow(InvalidArgumentError);
    expect(() => softmaxCrossEntropy(z, bad)).toThrow(/targets.*\[0, 4\).*4/s);
    expect(() => softmaxCrossEntropyComposed(z, bad)).toThrow(InvalidArgumentError);
    const short = tf.tensor1d([1], 'int32');
    expect(() => softmaxCrossEntropy(z, short)).toThrow(ShapeError);
    const floats = tf.tensor1d([1, 2]);
    expect(() => softmaxCrossEntropy(z, floats)).toThrow(/int32/);
    tf.dispose([z, bad, short, floats]);
  });

  it('leaves no tensors and no module memory behind across training steps', () => {
    const rng = new Random(5);
    const z = tf.variable(logitsOf(rng, 70, 500, 1));
    const t = tf.tensor1d(
      Int32Array.from({ length: 70 }, () => Math.floor(rng.float() * 500)),
      'int32',
    );
    const step = (): void => {
      const { value, grads } = tf.variableGrads(
        () => tf.mean(softmaxCrossEntropy(z, t)) as tf.Scalar,
        [z],
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const tensors = tf.memory().numTensors;
    const reserved = moduleMemory()!.reservedBytes;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(moduleMemory()!.reservedBytes).toBe(reserved);
    tf.dispose([z, t]);
  });
});
