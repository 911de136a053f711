// A fully connected layer's product as one op with a hand-written gradient that keeps the weight
// in its stored [out, in] layout. Composed as x·transpose(W), autograd would transpose the weight
// every step and then ask for products with a transposed side (dy·(Wᵀ)ᵀ and xᵀ·dy), which cost
// extra copies on wasm and, for a long shared side (a language model's 5000-word head), lose the
// split over K: measured on this project's machine, the head's input gradient [1120, 5000]·[5000, 512]
// ran at 24 GFLOP/s as dy·(Wᵀ)ᵀ and at 26.5 as dy·W; its weight gradient at 23.5 as (xᵀ·dy)ᵀ and
// 28.3 as transpose(dy)·x. The bias gradient is a column sum in JS (tfjs's wasm Sum over the rows
// of a [2240, 5000] gradient took about 40 ms).
import { tf, type Tensor } from '../runtime/tf';
import { ShapeError } from '../errors';
import { checkDType, checkRank } from '../validate';
import { runKernelOp, type GradientMap, type KernelOp } from './kernel-op';

const FN = 'linear';

/**
 * y = x·weightᵀ + bias, as `torch.nn.functional.linear` for x [N, in], weight [out, in] and an
 * optional bias [out]: y [N, out]. Differentiable in all three.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkDType(FN, 'x', x, 'float32');
  checkRank(FN, 'x', x, 2);
  checkDType(FN, 'weight', weight, 'float32');
  checkRank(FN, 'weight', weight, 2);
  const inF = x.shape[1]!;
  const [outF, wIn] = weight.shape as [number, number];
  if (wIn !== inF)
    throw new ShapeError({
      fn: FN,
      argument: 'weight',
      expected: `[out, ${inF}] (x's last dimension as its second)`,
      received: weight.shape,
    });
  if (bias) {
    checkDType(FN, 'bias', bias, 'float32');
    if (bias.rank !== 1 || bias.shape[0] !== outF)
      throw new ShapeError({
        fn: FN,
        argument: 'bias',
        expected: `[${outF}]`,
        received: bias.shape,
      });
  }
  const inputs: Record<string, Tensor> = bias ? { x, weight, bias } : { x, weight };
  return runKernelOp(kernel, inputs)[0]!;
}

/** Σ over the rows of a [rows, cols] array, in float64 (unrolled by 4: faster in V8). */
function columnSum(a: Float32Array, rows: number, cols: number): Float32Array {
  const s = new Float64Array(cols);
  const c4 = cols - (cols % 4);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < c4; c += 4) {
      s[c] = s[c]! + a[base + c]!;
      s[c + 1] = s[c + 1]! + a[base + c + 1]!;
      s[c + 2] = s[c + 2]! + a[base + c + 2]!;
      s[c + 3] = s[c + 3]! + a[base + c + 3]!;
    }
    for (let c = c4; c < cols; c++) s[c] = s[c]! + a[base + c]!;
  }
  return Float32Array.from(s);
}

const kernel: KernelOp = {
  name: 'RecurrentLinear',
  inputsToSave: ['x', 'weight'],
  outputsToSave: [],
  forward: ({ x, weight, bias }) => [
    tf.tidy(() =>
      bias
        ? tf.add(tf.matMul(x!, weight!, false, true), bias)
        : tf.matMul(x!, weight!, false, true),
    ),
  ], // [N, out]
  backward([dy], [xs, w]) {
    const grads: GradientMap = {
      x: () => tf.matMul(dy!, w!), // [N, out]·[out, in]
      // dyᵀ·x [out, N]·[N, in]: on our GEMM dy is read in place (no transposed copy)
      weight: () => tf.matMul(dy!, xs!, true, false),
      bias: () =>
        tf.tensor(
          columnSum(dy!.dataSync() as Float32Array, dy!.shape[0]!, dy!.shape[1]!),
          [dy!.shape[1]!],
          'float32',
        ),
    };
    return grads;
  },
};
