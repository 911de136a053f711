import { InvalidArgumentError, tf, type Tensor } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';
import { Optimizer, checkHyper } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with PyTorch's rules: `g += weightDecay * p`; with momentum the
 * buffer starts as the first `g` and then `buf = m * buf + (1 - dampening) * g`; Nesterov steps
 * along `g + m * buf`; `p -= lr * step`.
 */
export class SGD extends Optimizer {
  readonly type = 'SGD';
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: readonly Parameter[], options: SGDOptions) {
    super(params, options.lr);
    this.momentum = checkHyper('SGD', 'momentum', options.momentum ?? 0);
    this.dampening = checkHyper('SGD', 'dampening', options.dampening ?? 0);
    this.weightDecay = checkHyper('SGD', 'weightDecay', options.weightDecay ?? 0);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new InvalidArgumentError({ fn: 'SGD', argument: 'options.nesterov', expected: 'used with momentum > 0 and dampening 0', received: `momentum ${this.momentum}, dampening ${this.dampening}` });
    }
  }

  protected hyper(): Record<string, unknown> {
    return { momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }

  protected update(value: Tensor, grad: Tensor, state: ReadonlyMap<string, Tensor>) {
    let d = grad;
    if (this.weightDecay !== 0) d = tf.add(d, tf.mul(value, this.weightDecay));
    const out: Record<string, Tensor> = {};
    if (this.momentum !== 0) {
      const prev = state.get('momentum_buffer');
      const buf = prev ? tf.add(tf.mul(prev, this.momentum), tf.mul(d, 1 - this.dampening)) : tf.clone(d);
      out.momentum_buffer = buf;
      d = this.nesterov ? tf.add(d, tf.mul(buf, this.momentum)) : buf;
    }
    return { value: tf.sub(value, tf.mul(d, this.lr)), state: out };
  }
}
