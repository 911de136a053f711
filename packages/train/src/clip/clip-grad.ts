import { InvalidArgumentError, checkNumber, tf, type Tensor } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (PyTorch's `error_if_nonfinite`); default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales every gradient in place so that their global `normType`-norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`: each gradient is multiplied by
 * `min(1, maxNorm / (total + 1e-6))`. Returns the total norm before clipping. Parameters without
 * a gradient are skipped. `normType` may be `Infinity`.
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): number {
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, { min: 0 });
  if (!(normType === Infinity || (typeof normType === 'number' && Number.isFinite(normType) && normType > 0))) {
    throw new InvalidArgumentError({ fn: 'clipGradNorm', argument: 'normType', expected: 'a number > 0 or Infinity', received: normType });
  }
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return 0;
  const totalT = tf.tidy(() => {
    if (normType === Infinity) return tf.max(tf.stack(grads.map((g) => tf.max(tf.abs(g)))));
    if (normType === 2) return tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const sums = tf.addN(grads.map((g) => tf.sum(tf.pow(tf.abs(g), normType))));
    return tf.pow(sums, 1 / normType);
  });
  const total = totalT.dataSync()[0]!;
  totalT.dispose();
  if (!Number.isFinite(total) && options.errorIfNonfinite) {
    throw new InvalidArgumentError({ fn: 'clipGradNorm', argument: 'params', expected: 'gradients with a finite total norm', received: total });
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      if (!p.grad) continue;
      const g = p.grad;
      p.setGrad(tf.tidy(() => tf.mul(g, coef)));
    }
  }
  return total;
}

/** Clamps every gradient element to [-clipValue, clipValue] in place (`clip_grad_value_`). */
export function clipGradValue(params: readonly Parameter[], clipValue: number): void {
  checkNumber('clipGradValue', 'clipValue', clipValue, { min: 0 });
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad;
    p.setGrad(tf.tidy(() => tf.clipByValue(g, -clipValue, clipValue)));
  }
}
