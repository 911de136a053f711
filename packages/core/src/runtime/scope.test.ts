import { beforeAll, describe, expect, it } from 'vitest';
import { TensorLeakError, assertNoLeak, init, memorySnapshot, scope, tf } from '../index';

describe('memory', () => {
  beforeAll(async () => {
    await init();
  });

  it('scope disposes intermediates and keeps the result', () => {
    const before = memorySnapshot().numTensors;
    const y = scope(() => tf.add(tf.mul(tf.ones([4]), 2), 1));
    expect(memorySnapshot().numTensors).toBe(before + 1);
    expect(Array.from(y.dataSync())).toEqual([3, 3, 3, 3]);
    y.dispose();
    expect(memorySnapshot().numTensors).toBe(before);
  });

  it('assertNoLeak passes a clean function', async () => {
    await expect(
      assertNoLeak(() => scope(() => tf.sum(tf.ones([3, 3]))).dispose()),
    ).resolves.toBeUndefined();
  });

  it('assertNoLeak catches a deliberate leak and says how many tensors', async () => {
    const kept: tf.Tensor[] = [];
    const leaky = () => {
      kept.push(tf.ones([2, 2]));
    };
    await expect(assertNoLeak(leaky, { runs: 3, label: 'leaky' })).rejects.toThrow(TensorLeakError);
    await expect(assertNoLeak(leaky, { runs: 3, label: 'leaky' })).rejects.toThrow(
      /leaky: leaked 3 tensors/,
    );
    kept.forEach((t) => t.dispose());
  });

  it('a gradient step inside scope leaves numTensors steady across repetitions', async () => {
    const w = tf.variable(tf.randomNormal([8, 8], 0, 1, 'float32', 1));
    const step = () =>
      scope(() => {
        const { grads } = tf.variableGrads(
          () => tf.sum(tf.tanh(tf.matMul(tf.ones([2, 8]), w))) as tf.Scalar,
          [w],
        );
        w.assign(tf.sub(w, tf.mul(grads[w.name]!, 0.1)));
      });
    await assertNoLeak(step, { runs: 5 });
    w.dispose();
  });
});
