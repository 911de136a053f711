import { beforeAll, describe, expect, it } from 'vitest';
import { init, tf, Random } from '../index';
import { expectNoKernelLeak, expectSameOnWasmAndCpu } from '../test-support/compare-backends';

beforeAll(async () => {
  await init();
});

function data(
  dtype: 'float32' | 'int32' | 'bool',
  n: number,
  seed: number,
): Float32Array | Int32Array | Uint8Array {
  const rng = new Random(seed);
  if (dtype === 'float32') return rng.normalArray(n);
  if (dtype === 'int32') return Int32Array.from({ length: n }, () => rng.randint(-1000, 1000));
  return Uint8Array.from({ length: n }, () => rng.randint(0, 1));
}

const dtypes = ['float32', 'int32', 'bool'] as const;

// [shape, begin, size]: leading-axis steps, inner blocks, single columns (short runs), rank 1 to 5,
// -1 sizes, whole tensors, empty results.
const slices: Array<[number[], number[], number[]]> = [
  [
    [35, 4, 6],
    [7, 0, 0],
    [1, 4, 6],
  ],
  [
    [35, 4, 6],
    [3, 0, 0],
    [10, -1, -1],
  ],
  [
    [8, 32],
    [2, 5],
    [3, 20],
  ],
  [
    [8, 32],
    [0, 31],
    [-1, 1],
  ],
  [
    [4, 5, 6],
    [1, 2, 3],
    [2, 3, 2],
  ],
  [
    [3, 4, 5, 6],
    [0, 1, 0, 2],
    [3, 2, 5, 3],
  ],
  [
    [2, 3, 2, 3, 4],
    [1, 0, 1, 1, 0],
    [1, 3, 1, 2, 4],
  ],
  [[40], [5], [30]],
  [
    [6, 7],
    [0, 0],
    [6, 7],
  ],
  [
    [6, 7],
    [2, 3],
    [0, 4],
  ],
  [
    [0, 7],
    [0, 2],
    [0, 3],
  ],
];

describe('Slice on wasm', () => {
  for (const dtype of dtypes) {
    for (const [shape, begin, size] of slices) {
      it(`matches cpu: ${dtype} [${shape}] begin [${begin}] size [${size}]`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = data(dtype, n, n + shape.length);
        await expectSameOnWasmAndCpu(() => tf.slice(tf.tensor(x, shape, dtype), begin, size), {
          atol: 0,
          rtol: 0,
        });
      });
    }
  }

  it('slices a single element like cpu', async () => {
    await expectSameOnWasmAndCpu(
      () => [
        tf.slice(tf.tensor1d([1, 2, 3]), [2], [1]),
        tf.slice(tf.tensor2d([1, 2, 3, 4], [2, 2]), [1, 0], [1, 1]),
      ],
      { atol: 0, rtol: 0 },
    );
  });

  it('gives the same gradients as cpu (through pad), for each time step of a sequence', async () => {
    const x = data('float32', 6 * 3 * 5, 11) as Float32Array;
    const up = data('float32', 3 * 5, 12) as Float32Array;
    await expectSameOnWasmAndCpu(() => {
      const f = (t: tf.Tensor) => {
        let acc = tf.scalar(0);
        for (let s = 0; s < 6; s++)
          acc = tf.add(
            acc,
            tf.sum(
              tf.mul(tf.mul(tf.slice(t, [s, 0, 0], [1, 3, 5]), s + 1), tf.tensor(up, [1, 3, 5])),
            ),
          );
        return tf.add(acc, tf.sum(tf.square(tf.slice(t, [1, 1, 2], [4, 2, 3]))));
      };
      return tf.grad(f)(tf.tensor(x, [6, 3, 5]));
    });
  });
});

describe('Unpack (unstack) on wasm', () => {
  for (const dtype of dtypes) {
    for (const axis of [0, 1, 2, -1]) {
      it(`matches cpu: ${dtype} [5, 3, 4] along axis ${axis}`, async () => {
        const x = data(dtype, 60, 20 + axis);
        await expectSameOnWasmAndCpu(() => tf.unstack(tf.tensor(x, [5, 3, 4], dtype), axis), {
          atol: 0,
          rtol: 0,
        });
      });
    }
  }

  it('handles empty inputs like cpu', async () => {
    const outs = await expectSameOnWasmAndCpu(() => tf.unstack(tf.zeros([3, 0, 2]), 0));
    expect(outs.map((o) => o.shape)).toEqual([
      [0, 2],
      [0, 2],
      [0, 2],
    ]);
    const none = await expectSameOnWasmAndCpu(() => tf.unstack(tf.zeros([0, 2])));
    expect(none).toEqual([]);
  });

  it('gives the same gradients as cpu (through stack)', async () => {
    const x = data('float32', 7 * 2 * 3, 30) as Float32Array;
    await expectSameOnWasmAndCpu(() => {
      const f = (t: tf.Tensor) =>
        tf
          .unstack(t)
          .reduce((acc, step, i) => tf.add(acc, tf.sum(tf.mul(tf.sin(step), i - 3))), tf.scalar(0));
      const g = (t: tf.Tensor) =>
        tf
          .unstack(t, 2)
          .reduce(
            (acc, step, i) => tf.add(acc, tf.sum(tf.mul(tf.mul(step, step), i))),
            tf.scalar(0),
          );
      return [tf.grad(f)(tf.tensor(x, [7, 2, 3])), tf.grad(g)(tf.tensor(x, [7, 2, 3]))];
    });
  });
});

describe('SplitV on wasm', () => {
  it('matches cpu for gate-style splits along the last axis, uneven sizes and int32', async () => {
    const x = data('float32', 4 * 12, 40);
    const xi = data('int32', 4 * 12, 41);
    await expectSameOnWasmAndCpu(
      () => [
        ...tf.split(tf.tensor(x, [4, 12]), 4, 1),
        ...tf.split(tf.tensor(x, [4, 12]), [2, 2, -1], 0),
        ...tf.split(tf.tensor(xi, [4, 12], 'int32'), [5, 0, 7], -1),
      ],
      { atol: 0, rtol: 0 },
    );
  });

  it('gives the same gradients as cpu', async () => {
    const x = data('float32', 4 * 12, 42) as Float32Array;
    await expectSameOnWasmAndCpu(() =>
      tf.grad((t: tf.Tensor) => {
        const [i, f, g, o] = tf.split(t, 4, 1);
        return tf.sum(tf.mul(tf.mul(tf.sigmoid(i!), tf.tanh(g!)), tf.add(f!, tf.square(o!))));
      })(tf.tensor(x, [4, 12])),
    );
  });
});

describe('slicing kernels', () => {
  it('leak nothing, tensors or backend buffers', () => {
    const x = tf.randomNormal([10, 4, 6]);
    expectNoKernelLeak(() => {
      tf.dispose(tf.slice(x, [2, 1, 0], [3, 2, 6]));
      tf.dispose(tf.unstack(x));
      tf.dispose(tf.unstack(x, 1));
      tf.dispose(tf.split(x, 2, 2));
      tf.dispose(
        tf.grad((t: tf.Tensor) =>
          tf.sum(tf.stack(tf.unstack(t).map((s) => tf.slice(s, [0, 1], [4, 2])))),
        )(x),
      );
    });
    tf.dispose(x);
  });
});
