import { beforeAll, describe, expect, it } from 'vitest';
import { init, tf } from '../index';
import { expectNoKernelLeak, expectSameOnWasmAndCpu } from '../test-support/compare-backends';

beforeAll(async () => {
  await init();
});

describe('OneHot on wasm', () => {
  it('writes float32 values when asked for float32 (the stock kernel wrote int32 bits)', async () => {
    const t = tf.oneHot(tf.tensor1d([2, 0, 1], 'int32'), 3, 1, 0, 'float32');
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.dataSync())).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    t.dispose();
  });

  it('matches the cpu backend for float32 and int32, custom on/off values, 2-D ids and out-of-range ids', async () => {
    const ids = [
      [3, -1, 0],
      [7, 1, 3],
    ];
    await expectSameOnWasmAndCpu(
      () => tf.oneHot(tf.tensor2d(ids, [2, 3], 'int32'), 5, 2.5, -0.5, 'float32'),
      { atol: 0, rtol: 0 },
    );
    const [out] = await expectSameOnWasmAndCpu(
      () => tf.oneHot(tf.tensor2d(ids, [2, 3], 'int32'), 5),
      { atol: 0, rtol: 0 },
    );
    expect(out!.dtype).toBe('int32');
  });

  it('trains through a one-hot input (gradient flows to the weights, not the ids)', async () => {
    await expectSameOnWasmAndCpu(() => {
      const w = tf.tensor2d([0.1, -0.2, 0.3, 0.4, 0.5, -0.6], [3, 2]);
      const g = tf.grad((m: tf.Tensor) =>
        tf.sum(
          tf.square(tf.matMul(tf.oneHot(tf.tensor1d([2, 0, 2], 'int32'), 3, 1, 0, 'float32'), m)),
        ),
      );
      return g(w);
    });
  });

  it('does not leak', () => {
    expectNoKernelLeak(() => {
      tf.tidy(() => {
        tf.oneHot(tf.tensor1d([1, 0], 'int32'), 4, 1, 0, 'float32');
      });
    });
  });
});
