import { InvalidArgumentError, ShapeError, tf, type Tensor } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';

export interface ValueAndGradsResult {
  /** The loss value (read back from the backend). */
  loss: number;
}

export interface ValueAndGradsOptions {
  /**
   * `'accumulate'` (default) adds to each `Parameter.grad`, as PyTorch's `backward()` does until
   * `zeroGrad`; `'replace'` overwrites it.
   */
  mode?: 'accumulate' | 'replace';
}

/**
 * Runs `lossFn` under a gradient tape and stores d(loss)/d(param) in every parameter's `.grad`.
 * Tensors made inside `lossFn` are disposed afterwards except the ones it `tf.keep`s (use this to
 * carry a recurrent state out; kept tensors carry no tape history into the next call).
 * Parameters the loss does not depend on keep their gradient unchanged.
 */
export function valueAndGrads(params: readonly Parameter[], lossFn: () => Tensor, options: ValueAndGradsOptions = {}): ValueAndGradsResult {
  if (!Array.isArray(params)) throw new InvalidArgumentError({ fn: 'valueAndGrads', argument: 'params', expected: 'an array of parameters', received: params });
  if (typeof lossFn !== 'function') throw new InvalidArgumentError({ fn: 'valueAndGrads', argument: 'lossFn', expected: 'a function returning a scalar loss', received: lossFn });
  const mode = options.mode ?? 'accumulate';
  if (mode !== 'accumulate' && mode !== 'replace') {
    throw new InvalidArgumentError({ fn: 'valueAndGrads', argument: 'options.mode', expected: "'accumulate' or 'replace'", received: mode });
  }
  const trainable = params.filter((p) => p.requiresGrad);
  if (trainable.length === 0) {
    throw new InvalidArgumentError({ fn: 'valueAndGrads', argument: 'params', expected: 'at least one parameter that requires a gradient', received: params.length });
  }
  const { value, grads } = tf.variableGrads(() => {
    const loss = lossFn();
    if (loss.rank !== 0) {
      throw new ShapeError({ fn: 'valueAndGrads', argument: 'lossFn()', expected: 'a scalar', received: loss.shape });
    }
    return loss as tf.Scalar;
  }, trainable.map((p) => p.variable));
  const loss = value.dataSync()[0]!;
  value.dispose();
  for (const p of trainable) {
    const g = grads[p.variable.name];
    if (!g) continue;
    if (mode === 'replace') p.setGrad(g);
    else p.accumulateGrad(g);
  }
  return { loss };
}
