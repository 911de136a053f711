import { beforeAll, describe, expect, it } from 'vitest';
import { init, tf, Random } from '../index';
import { expectNoKernelLeak, expectSameOnWasmAndCpu } from '../test-support/compare-backends';

beforeAll(async () => {
  await init();
});

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered for wasm', () => {
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });

  it('sums rows by segment like the cpu backend, dropping out-of-range ids', async () => {
    const rng = new Random(1);
    const x = rng.normalArray(7 * 3 * 2);
    const ids = Int32Array.from([2, 0, 2, -1, 4, 9, 0]); // repeated, negative and too-large ids
    await expectSameOnWasmAndCpu(
      () => tf.unsortedSegmentSum(tf.tensor(x, [7, 3, 2]), tf.tensor1d(ids, 'int32'), 5),
      { name: 'sum' },
    );
  });

  it('handles int32 data exactly', async () => {
    const rng = new Random(2);
    const x = Int32Array.from({ length: 6 * 4 }, () => rng.randint(-50, 50));
    const ids = Int32Array.from({ length: 6 }, () => rng.randint(0, 3));
    const [out] = await expectSameOnWasmAndCpu(
      () => tf.unsortedSegmentSum(tf.tensor(x, [6, 4], 'int32'), tf.tensor1d(ids, 'int32'), 4),
      {
        atol: 0,
        rtol: 0,
      },
    );
    expect(out!.dtype).toBe('int32');
  });

  it('takes rank-2 segment ids as the flattened ids (the cpu kernel cannot)', () => {
    const rng = new Random(5);
    const x = tf.tensor(rng.normalArray(2 * 3 * 4), [2, 3, 4]);
    const ids = tf.tensor([0, 2, 2, 1, 0, 3], [2, 3], 'int32');
    const got = tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 4); // the op types ids as 1-D; the kernel takes any prefix shape
    const want = tf.unsortedSegmentSum(tf.reshape(x, [6, 4]), tf.reshape(ids, [6]), 4);
    expect(got.shape).toEqual([4, 4]);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, ids, got, want]);
  });

  it('gives zeros for segments that get no rows and for empty input', async () => {
    const [out] = await expectSameOnWasmAndCpu(() =>
      tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([3, 3], 'int32'), 5),
    );
    expect(Array.from(out!.data)).toEqual([0, 0, 0, 0, 0, 0, 4, 6, 0, 0]);
    const [empty] = await expectSameOnWasmAndCpu(() =>
      tf.unsortedSegmentSum(tf.zeros([0, 3]), tf.zeros([0], 'int32'), 2),
    );
    expect(empty!.shape).toEqual([2, 3]);
  });

  it('makes the gradient of gather (an embedding lookup) equal to cpu, with repeated ids', async () => {
    const rng = new Random(3);
    const table = rng.normalArray(10 * 4);
    const ids = Int32Array.from({ length: 3 * 5 }, () => rng.randint(0, 9));
    ids[1] = ids[0]!; // at least one repeat
    const up = rng.normalArray(3 * 5 * 4);
    await expectSameOnWasmAndCpu(
      () => {
        const w = tf.tensor2d(table, [10, 4]);
        const f = (t: tf.Tensor) =>
          tf.sum(tf.mul(tf.gather(t, tf.tensor2d(ids, [3, 5], 'int32')), tf.tensor(up, [3, 5, 4])));
        const [dw] = tf.grads(f)([w]);
        return [tf.gather(w, tf.tensor2d(ids, [3, 5], 'int32')), dw!];
      },
      { name: 'gather' },
    );
  });

  it('passes its own gradient back through gather (second order)', async () => {
    const rng = new Random(4);
    const x = rng.normalArray(6 * 2);
    const ids = Int32Array.from([1, 0, 1, 2, -1, 0]);
    await expectSameOnWasmAndCpu(() => {
      const g = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.square(tf.unsortedSegmentSum(t, tf.tensor1d(ids, 'int32'), 3))),
      );
      return g(tf.tensor2d(x, [6, 2]));
    });
  });

  it('leaks nothing', async () => {
    await init();
    const w = tf.randomNormal([10, 4]);
    const ids = tf.tensor1d([1, 2, 1, 9], 'int32');
    expectNoKernelLeak(() => {
      tf.dispose(tf.grads((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))([w]));
    });
    tf.dispose([w, ids]);
  });
});
