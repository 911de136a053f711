import { assertNoLeak, init, Random, ShapeError, tf } from '@recurrent/core';
import { expectTensorsClose } from '@recurrent/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dropout } from '../dropout/dropout';
import { Linear } from './linear';

beforeAll(async () => {
  await init();
});

describe('Linear', () => {
  it('maps the last dimension as x Wᵀ + b for any leading shape', () => {
    const l = new Linear(2, 3);
    l.weight.assign(
      tf.tensor2d([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
    );
    l.bias!.assign(tf.tensor1d([0, 10, 100]));
    const x = tf.tensor3d([[[1, 2]], [[3, 4]]]); // [2, 1, 2]
    const y = l.forward(x);
    expectTensorsClose(y, { shape: [2, 1, 3], data: [1, 12, 103, 3, 14, 107] });
    const v = l.forward(tf.tensor1d([1, 2]));
    expect(v.shape).toEqual([3]);
    expect(() => l.forward(tf.zeros([4, 3]))).toThrow(ShapeError);
    expect(() => l.forward(tf.zeros([4, 3]))).toThrow(
      "Linear.forward: 'x size' must be 2 in the last dimension (inFeatures), got 3",
    );
    expect(new Linear(2, 3, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    tf.dispose([x, y, v]);
    l.dispose();
  });

  it('initialises from U(-1/sqrt(in), 1/sqrt(in)) and does not leak', async () => {
    const l = new Linear(16, 8, { random: new Random(2) });
    const w = l.weight.value.dataSync();
    expect(Math.max(...w)).toBeLessThan(0.25);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-0.25);
    const x = tf.ones([4, 16]);
    await assertNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(l.forward(x)) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
    l.dispose();
  });
});

describe('Dropout', () => {
  it('is active only in training, scales kept values by 1/(1-p), and is seeded', () => {
    const x = tf.ones([1000]);
    const d = new Dropout(0.25, { random: new Random(4) });
    const y = d.forward(x);
    const values = [...y.dataSync()];
    const kept = values.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    expect(kept.length).toBeGreaterThan(700);
    expect(kept.length).toBeLessThan(800);
    const again = new Dropout(0.25, { random: new Random(4) }).forward(x);
    expect([...again.dataSync()]).toEqual(values);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(() => new Dropout(1.5)).toThrow(/'p' must be a finite number >= 0 and <= 1/);
    tf.dispose([x, y, again]);
  });

  it('in eval mode uses a cached wᵀ that follows parameter updates, and still differentiates under a tape', () => {
    const l = new Linear(3, 2, { random: new Random(3) }).eval();
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 0.5],
    ]);
    const reference = (): number[] =>
      tf.tidy(() => [
        ...tf.add(tf.matMul(x, l.weight.value, false, true), l.bias!.value).dataSync(),
      ]);
    const close = (a: ArrayLike<number>, b: number[]) =>
      b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    const y1 = l.forward(x);
    close(y1.dataSync(), reference());
    close(l.forwardValues(x.dataSync() as Float32Array, 2), reference());
    l.weight.assign(
      tf.tensor2d([
        [1, 0, 0],
        [0, 0, 2],
      ]),
    );
    l.bias!.assign(tf.tensor1d([5, -5]));
    const y2 = l.forward(x); // rebuilt after the assign
    expect([...y2.dataSync()]).toEqual([6, 1, 4, -4]);
    close(l.forwardValues(x.dataSync() as Float32Array, 2), [6, 1, 4, -4]);
    const { grads } = tf.variableGrads(
      () => tf.sum(l.forward(x)) as tf.Scalar,
      [l.weight.variable],
    );
    expect([...grads[l.weight.variable.name]!.dataSync()]).toEqual([0, 2, 3.5, 0, 2, 3.5]);
    const n = tf.memory().numTensors;
    l.dispose();
    expect(n - tf.memory().numTensors).toBe(2 + 1); // parameters and the cached wᵀ
    tf.dispose([x, y1, y2, ...Object.values(grads)]);
  });
});
