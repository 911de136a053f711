import { tf, type Tensor } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';
import { Optimizer, checkHyper } from './optimizer';

export interface RMSpropOptions {
  /** Default 0.01. */
  lr?: number;
  /** Smoothing constant, default 0.99. */
  alpha?: number;
  /** Default 1e-8, added after the square root. */
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/**
 * RMSprop with PyTorch's rules: `v = alpha v + (1 - alpha) g²`; centred subtracts the square of
 * the running mean of `g`; `p -= lr * g / (sqrt(v) + eps)` (through a momentum buffer if set).
 */
export class RMSprop extends Optimizer {
  readonly type = 'RMSprop';
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;

  constructor(params: readonly Parameter[], options: RMSpropOptions = {}) {
    super(params, options.lr ?? 0.01);
    this.alpha = checkHyper('RMSprop', 'alpha', options.alpha ?? 0.99, 0, 1);
    this.eps = checkHyper('RMSprop', 'eps', options.eps ?? 1e-8);
    this.weightDecay = checkHyper('RMSprop', 'weightDecay', options.weightDecay ?? 0);
    this.momentum = checkHyper('RMSprop', 'momentum', options.momentum ?? 0);
    this.centered = options.centered ?? false;
  }

  protected hyper(): Record<string, unknown> {
    return { alpha: this.alpha, eps: this.eps, weightDecay: this.weightDecay, momentum: this.momentum, centered: this.centered };
  }

  protected update(value: Tensor, grad: Tensor, state: ReadonlyMap<string, Tensor>) {
    let g = grad;
    if (this.weightDecay !== 0) g = tf.add(g, tf.mul(value, this.weightDecay));
    const sq0 = state.get('square_avg') ?? tf.zerosLike(value);
    const sq = tf.add(tf.mul(sq0, this.alpha), tf.mul(tf.mul(g, g), 1 - this.alpha));
    const out: Record<string, Tensor> = { square_avg: sq };
    let avg: Tensor;
    if (this.centered) {
      const ga0 = state.get('grad_avg') ?? tf.zerosLike(value);
      const ga = tf.add(tf.mul(ga0, this.alpha), tf.mul(g, 1 - this.alpha));
      out.grad_avg = ga;
      avg = tf.add(tf.sqrt(tf.sub(sq, tf.mul(ga, ga))), this.eps);
    } else {
      avg = tf.add(tf.sqrt(sq), this.eps);
    }
    if (this.momentum > 0) {
      const b0 = state.get('momentum_buffer') ?? tf.zerosLike(value);
      const buf = tf.add(tf.mul(b0, this.momentum), tf.div(g, avg));
      out.momentum_buffer = buf;
      return { value: tf.sub(value, tf.mul(buf, this.lr)), state: out };
    }
    return { value: tf.sub(value, tf.mul(tf.div(g, avg), this.lr)), state: out };
  }
}
