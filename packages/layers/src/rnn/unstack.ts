import { tf, type Tensor } from '@recurrent/core';

/**
 * `tf.unstack` along axis 0 that also differentiates when there is one slice: tfjs hands a
 * single-output op's gradient a lone tensor, which Unpack's gradient (`stack(dy)`) refuses.
 */
export function unstack0(t: Tensor): Tensor[] {
  if (t.shape[0] === 1) return [tf.reshape(t, t.shape.slice(1))];
  return tf.unstack(t, 0);
}
