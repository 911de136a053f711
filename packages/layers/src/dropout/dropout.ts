import { checkNumber, getRandom, tf, type Random, type Tensor } from '@recurrent/core';
import { Module } from '../module/module';

/**
 * Zeroes each element with probability `p` and scales the rest by 1/(1-p), in training mode only
 * (`torch.nn.Dropout`). The mask is drawn by a seeded `Random`, so a seed reproduces it.
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly random: Random | undefined;

  constructor(p = 0.5, options: { random?: Random } = {}) {
    super();
    this.p = checkNumber('Dropout', 'p', p, { min: 0, max: 1 });
    this.random = options.random;
  }

  /** x [...] -> [...]. In eval mode (or with p = 0) returns `x` itself. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, this.random ?? getRandom());
  }
}

/** Inverted dropout of `x` with a mask drawn from `random` (always active). */
export function dropout(x: Tensor, p: number, random: Random): Tensor {
  checkNumber('dropout', 'p', p, { min: 0, max: 1 });
  if (p === 0) return tf.clone(x);
  if (p === 1) return tf.zerosLike(x);
  const scale = 1 / (1 - p);
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = random.float() < p ? 0 : scale;
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
}
