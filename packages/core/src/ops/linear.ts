// A fully connected layer's product as one op with a hand-written gradient that keeps the weight
// in its stored [out, in] layout. Composed as x·transpose(W), autograd would transpose the weight
// every step and then ask for products with a transposed side (dy·(Wᵀ)ᵀ and xᵀ·dy), which cost
// extra copies on wasm and, for a long shared side (a language model's 5000-word head), lose the
// split over K: measured on this project's machine, the head's input gradient [1120, 5000]·[5000, 512]
// ran at 24 GFLOP/s as dy·(Wᵀ)ᵀ and at 26.5 as dy·W; its weight gradient at 23.5 as (xᵀ·dy)ᵀ and
// 28.3 as transpose(dy)·x. The bias gradient is a column sum in JS (tfjs's wasm Sum over the rows
// of a [2240, 5000] gradient took about 40 ms).
import { tf, type Tensor } from '../backend/tf';
import { ShapeError } from '../errors';
import { checkDType, checkRank } from '../validate';
import { columnSumValues, readF32, runFused, tensorOf, type GradientMap } from './fused-kernel';

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
  const [N, inF] = x.shape as [number, number];
  const [outF, wIn] = weight.shape as [number, number];
  if (wIn !== inF) throw new ShapeError({ fn: FN, argument: 'weight', expected: `[out, ${inF}] (x's last dimension as its second)`, received: weight.shape });
  if (bias) {
    checkDType(FN, 'bias', bias, 'float32');
    if (bias.rank !== 1 || bias.shape[0] !== outF) throw new ShapeError({ fn: FN, argument: 'bias', expected: `[${outF}]`, received: bias.shape });
  }
  const inputs: Record<string, Tensor> = bias ? { x, weight, bias } : { x, weight };
  const [y] = runFused(
    inputs,
    (save) => {
      save([x, weight]);
      return [tf.tidy(() => (bias ? tf.add(tf.matMul(x, weight, false, true), bias) : tf.matMul(x, weight, false, true)))]; // [N, out]
    },
    ([dy], saved) => {
      const [xs, w] = saved as [Tensor, Tensor];
      const grads: GradientMap = {
        x: () => tf.matMul(dy!, w), // [N, out]·[out, in]
        weight: () => tf.tidy(() => tf.matMul(tf.transpose(dy!), xs)), // [out, N]·[N, in]
      };
      if (bias) grads.bias = () => tensorOf(columnSumValues(readF32(dy!), N, outF), [outF]);
      return grads;
    },
  );
  return y!;
}
