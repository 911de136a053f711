import { InvalidArgumentError, assertNoLeak, init, tf, type Tensor } from '@recurrent/core';
import { param } from '../../test/setup';
import { beforeAll, describe, expect, it } from 'vitest';
import { valueAndGrads } from './value-and-grads';

beforeAll(async () => {
  await init();
});

describe('valueAndGrads', () => {
  it('returns the loss and accumulates gradients like PyTorch backward()', () => {
    const w = param([1, 2]);
    const b = param([0.5]);
    const lossFn = (): Tensor => tf.reshape(tf.add(tf.sum(tf.square(w.value)), tf.mul(b.value, 3)), []);
    const r = valueAndGrads([w, b], lossFn);
    expect(r.loss).toBeCloseTo(6.5, 6);
    expect(Array.from(w.grad!.dataSync())).toEqual([2, 4]);
    valueAndGrads([w, b], lossFn);
    expect(Array.from(w.grad!.dataSync())).toEqual([4, 8]);
    expect(Array.from(b.grad!.dataSync())).toEqual([6]);
    valueAndGrads([w, b], lossFn, { mode: 'replace' });
    expect(Array.from(w.grad!.dataSync())).toEqual([2, 4]);
    w.dispose();
    b.dispose();
  });

  it('leaves parameters the loss ignores untouched, lets lossFn keep side outputs, and does not leak', async () => {
    const w = param([1, 2]);
    const unused = param([7]);
    let kept: Tensor | null = null;
    await assertNoLeak(() => {
      kept?.dispose();
      valueAndGrads([w, unused], () => {
        const h = tf.mul(w.value, 2);
        kept = tf.keep(h);
        return tf.sum(h);
      });
    });
    expect(unused.grad).toBeNull();
    expect(Array.from(kept!.dataSync())).toEqual([2, 4]);
    (kept as Tensor | null)?.dispose();
    w.dispose();
    unused.dispose();
  });

  it('refuses a non-scalar loss', () => {
    const w = param([1, 2]);
    expect(() => valueAndGrads([w], () => tf.mul(w.value, 1))).toThrow(/scalar/);
    expect(() => valueAndGrads([], () => tf.scalar(1))).toThrow(InvalidArgumentError);
    w.dispose();
  });
});
