import { tf, type Tensor } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';
import { Optimizer, checkHyper } from './optimizer';

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8; added after the bias-corrected square root, as PyTorch. */
  eps?: number;
  /** L2 penalty added to the gradient (Adam) or decoupled decay (AdamW). */
  weightDecay?: number;
  amsgrad?: boolean;
}

/**
 * Adam with PyTorch's rules: `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²`,
 * `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`; `weightDecay` is added to the
 * gradient; `amsgrad` uses the running maximum of `v`.
 */
export class Adam extends Optimizer {
  readonly type: string = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Parameter[], options: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, options.lr ?? 1e-3);
    const fn = new.target.name;
    const [b1, b2] = options.betas ?? [0.9, 0.999];
    this.beta1 = checkHyper(fn, 'betas[0]', b1, 0, 1, true);
    this.beta2 = checkHyper(fn, 'betas[1]', b2, 0, 1, true);
    this.eps = checkHyper(fn, 'eps', options.eps ?? 1e-8);
    this.weightDecay = checkHyper(fn, 'weightDecay', options.weightDecay ?? defaultWeightDecay);
    this.amsgrad = options.amsgrad ?? false;
  }

  protected hyper(): Record<string, unknown> {
    return { betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad };
  }

  protected update(value: Tensor, grad: Tensor, state: ReadonlyMap<string, Tensor>, step: number) {
    let p = value;
    let g = grad;
    if (this.weightDecay !== 0) {
      if (this.decoupled) p = tf.mul(p, 1 - this.lr * this.weightDecay);
      else g = tf.add(g, tf.mul(p, this.weightDecay));
    }
    const m0 = state.get('exp_avg');
    const v0 = state.get('exp_avg_sq');
    const m = m0 ? tf.add(tf.mul(m0, this.beta1), tf.mul(g, 1 - this.beta1)) : tf.mul(g, 1 - this.beta1);
    const g2 = tf.mul(g, g);
    const v = v0 ? tf.add(tf.mul(v0, this.beta2), tf.mul(g2, 1 - this.beta2)) : tf.mul(g2, 1 - this.beta2);
    const out: Record<string, Tensor> = { exp_avg: m, exp_avg_sq: v };
    let second = v;
    if (this.amsgrad) {
      const prev = state.get('max_exp_avg_sq');
      second = prev ? tf.maximum(prev, v) : tf.clone(v);
      out.max_exp_avg_sq = second;
    }
    const bc1 = 1 - this.beta1 ** step;
    const bc2 = 1 - this.beta2 ** step;
    const denom = tf.add(tf.div(tf.sqrt(second), Math.sqrt(bc2)), this.eps);
    const next = tf.sub(p, tf.mul(tf.div(m, denom), this.lr / bc1));
    return { value: next, state: out };
  }
}

/** AdamW: Adam with decoupled weight decay, `p *= 1 - lr * weightDecay` first (default 0.01). */
export class AdamW extends Adam {
  override readonly type: string = 'AdamW';
  protected override readonly decoupled: boolean = true;

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super(params, options, 0.01);
  }
}
