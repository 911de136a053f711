import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, tf, Random } from '../index';
import { setModuleGemmEnabled } from '../tuning';
import { expectNoKernelLeak, expectSameOnWasmAndCpu } from '../test-support/compare-backends';

beforeAll(async () => {
  await init();
});

const combos: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Shape of an operand [..., rows, cols] stored transposed when asked. */
function stored(batch: number[], rows: number, cols: number, transposed: boolean): number[] {
  return transposed ? [...batch, cols, rows] : [...batch, rows, cols];
}

/** Values, and the gradients of sum(matMul · up) for a and b, computed on one backend. */
function valueAndGrads(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  up: Float32Array,
  tA: boolean,
  tB: boolean,
): () => tf.Tensor[] {
  return () => {
    const at = tf.tensor(a, aShape);
    const bt = tf.tensor(b, bShape);
    const broadcast =
      aShape.length !== bShape.length || aShape.slice(0, -2).some((d, i) => d !== bShape[i]);
    if (broadcast) {
      // tfjs-core's matMul gradient cannot reduce broadcast batch dims (on any backend), and the
      // cpu kernel broadcasts batches by a flat modulo (wrong for [2, 1] x [1, 3]): on cpu, tile
      // both sides to the full batch first, and compare values only.
      if (tf.getBackend() !== 'cpu') return [tf.matMul(at, bt, tA, tB)];
      const rank = Math.max(aShape.length, bShape.length);
      const full = (shape: number[]) => [
        ...new Array<number>(rank - shape.length).fill(1),
        ...shape,
      ];
      const fa = full(aShape);
      const fb = full(bShape);
      const reps = (mine: number[], other: number[]) =>
        mine.map((d, i) => (i < rank - 2 && d === 1 ? other[i]! : 1));
      return [
        tf.matMul(
          tf.tile(tf.reshape(at, fa), reps(fa, fb)),
          tf.tile(tf.reshape(bt, fb), reps(fb, fa)),
          tA,
          tB,
        ),
      ];
    }
    const y = tf.matMul(at, bt, tA, tB);
    const f = (x: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(x, w, tA, tB), tf.tensor(up, y.shape)));
    const [da, db] = tf.grads(f)([at, bt]);
    return [y, da!, db!];
  };
}

// [batchA, batchB, M, K, N]: unbatched, batched (split into products), batch only on the left
// (folded into rows), broadcast batches, tiny batched (left on the original loop), odd sizes.
const cases: Array<[number[], number[], number, number, number]> = [
  [[], [], 9, 17, 13],
  [[], [], 4, 40, 24], // small left side: the product is computed transposed (Cᵀ = Bᵀ·Aᵀ)
  [[], [], 24, 40, 4],
  [[3], [3], 20, 24, 21],
  [[4], [], 6, 33, 10],
  [[2, 1], [1, 3], 16, 20, 30],
  [[5], [5], 2, 3, 4],
  [[1], [1], 1, 64, 1],
  [[], [], 300, 4100, 7], // long K: summed over slices of K (XNNPACK path)
  [[], [], 70, 130, 90], // our GEMM: rows not a multiple of 4, columns not a multiple of 8
  [[4], [], 10, 64, 50], // our GEMM with a batched left side folded into rows
];

describe.each([
  ['our GEMM where it applies', true],
  ['XNNPACK only', false],
])('BatchMatMul on wasm (%s)', (_, own) => {
  beforeAll(() => setModuleGemmEnabled(own));
  afterAll(() => setModuleGemmEnabled(true));
  for (const [batchA, batchB, m, k, n] of cases) {
    for (const [tA, tB] of combos) {
      it(`matches cpu in value and gradients: [${batchA}] x [${batchB}], ${m}x${k}x${n}, transposeA=${tA} transposeB=${tB}`, async () => {
        const rng = new Random(m * 1000 + k * 10 + n);
        const aShape = stored(batchA, m, k, tA);
        const bShape = stored(batchB, k, n, tB);
        const a = rng.normalArray(aShape.reduce((x, y) => x * y, 1));
        const b = rng.normalArray(bShape.reduce((x, y) => x * y, 1));
        const outBatch =
          batchA.length >= batchB.length
            ? batchA.map((d, i) => Math.max(d, batchB[i] ?? 1))
            : batchB;
        const up = rng.normalArray([...outBatch, m, n].reduce((x, y) => x * y, 1));
        // Sums of k unit normals differ by summation order about sqrt(k)·ε·|terms|.
        const atol = Math.max(1e-4, 2e-5 * Math.sqrt(k));
        const [y] = await expectSameOnWasmAndCpu(valueAndGrads(a, aShape, b, bShape, up, tA, tB), {
          atol,
          rtol: 1e-4,
        });
        expect(y!.shape).toEqual([...outBatch, m, n]);
      });
    }
  }

  it('handles empty products and a zero-length shared dimension', async () => {
    const [e, z] = await expectSameOnWasmAndCpu(() => [
      tf.matMul(tf.zeros([0, 4]), tf.ones([3, 4]), false, true),
      tf.matMul(tf.ones([3, 0]), tf.ones([2, 0]), false, true),
    ]);
    expect(e!.shape).toEqual([0, 3]);
    expect(Array.from(z!.data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('leaks nothing, tensors or backend buffers', () => {
    const a = tf.randomNormal([3, 24, 24]);
    const b = tf.randomNormal([3, 24, 24]);
    const w = tf.randomNormal([21, 24]);
    const small = tf.randomNormal([4, 40]);
    const smallT = tf.randomNormal([40, 4]);
    const w2 = tf.randomNormal([24, 40]);
    const w2T = tf.randomNormal([40, 24]);
    const big = tf.randomNormal([70, 130]);
    const bigW = tf.randomNormal([90, 130]);
    const bigT = tf.transpose(big);
    const bigWT = tf.transpose(bigW);
    expectNoKernelLeak(() => {
      // our GEMM (and its cache of packed right sides) for each transpose
      for (const [tA, tB] of combos)
        tf.dispose(tf.matMul(tA ? bigT : big, tB ? bigW : bigWT, tA, tB));
      for (const [tA, tB] of combos) tf.dispose(tf.matMul(a, b, tA, tB));
      tf.dispose(tf.matMul(a, w, false, true));
      tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]));
      // small left sides: computed transposed
      tf.dispose([
        tf.matMul(small, w2, false, true),
        tf.matMul(smallT, w2T, true, false),
        tf.matMul(smallT, w2, true, true),
      ]);
    });
    tf.dispose([a, b, w, small, smallT, w2, w2T, big, bigW, bigT, bigWT]);
  });
});

describe('_FusedMatMul on wasm', () => {
  const activations = ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu', 'prelu'] as const;
  for (const activation of activations) {
    for (const [tA, tB] of [
      [false, false],
      [true, true],
    ] as const) {
      it(`matches cpu with a bias and ${activation}, transposeA=${tA} transposeB=${tB}`, async () => {
        const rng = new Random(7);
        const [m, k, n] = [12, 70, 9]; // k > 48: the stock loop adds the bias per 48-wide block
        const a = rng.normalArray(m * k);
        const b = rng.normalArray(k * n);
        const bias = rng.normalArray(n);
        const alpha = rng.uniformArray(n, 0, 0.5);
        await expectSameOnWasmAndCpu(
          () =>
            tf.fused.matMul({
              a: tf.tensor(a, tA ? [k, m] : [m, k]),
              b: tf.tensor(b, tB ? [n, k] : [k, n]),
              transposeA: tA,
              transposeB: tB,
              bias: tf.tensor1d(bias),
              activation,
              preluActivationWeights: activation === 'prelu' ? tf.tensor1d(alpha) : undefined,
              leakyreluAlpha: 0.1,
            }),
          { atol: 1e-4, rtol: 1e-4, name: activation },
        );
      });
    }
  }

  it('matches cpu with batches, broadcast biases, and in its gradients (linear and relu)', async () => {
    const rng = new Random(8);
    const a = rng.normalArray(2 * 10 * 30);
    const b = rng.normalArray(2 * 30 * 8);
    const biasFull = rng.normalArray(10 * 8);
    const up = rng.normalArray(2 * 10 * 8);
    for (const activation of ['linear', 'relu'] as const) {
      await expectSameOnWasmAndCpu(
        () => {
          const at = tf.tensor(a, [2, 10, 30]);
          const bt = tf.tensor(b, [2, 8, 30]);
          const bias = tf.tensor(biasFull, [10, 8]);
          const f = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
            tf.sum(
              tf.mul(
                tf.fused.matMul({ a: x, b: w, transposeB: true, bias: c, activation }),
                tf.tensor(up, [2, 10, 8]),
              ),
            );
          const scalarBias = tf.fused.matMul({
            a: at,
            b: bt,
            transposeB: true,
            bias: tf.tensor1d([0.5]),
            activation,
          });
          return [scalarBias, ...tf.grads(f)([at, bt, bias])];
        },
        { atol: 1e-4, rtol: 1e-4, name: activation },
      );
    }
  });

  it('leaks nothing', () => {
    const a = tf.randomNormal([20, 30]);
    const b = tf.randomNormal([8, 30]);
    const bias = tf.randomNormal([8]);
    expectNoKernelLeak(() => {
      tf.dispose(tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' }));
      tf.dispose(tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'sigmoid' }));
    });
    tf.dispose([a, b, bias]);
  });
});
