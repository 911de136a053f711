import { tf, type Tensor } from '@recurrent/core';

/** A recurrent layer's state in PyTorch's layout: h [L*D, B, H], and c [L*D, B, H] for LSTM. */
export interface RecurrentState {
  h: Tensor;
  c?: Tensor;
}

/** Disposes the tensors of a state. */
export function disposeState(s: RecurrentState | null | undefined): void {
  if (!s) return;
  s.h.dispose();
  s.c?.dispose();
}

/** A copy of `t` through which no gradient flows (PyTorch's `detach`). */
export function detach(t: Tensor): Tensor {
  const f = tf.customGrad((...inputs) => ({
    value: tf.clone(inputs[0] as Tensor),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  }));
  return f(t);
}

/**
 * A copy of the state without gradient history, for carrying it across batches (truncated BPTT).
 * The copy is kept (`tf.keep`), so it survives the `tidy` or gradient scope it was made in:
 * call it inside the loss function on the final state and use the copy for the next batch. The
 * caller owns the copy (dispose it with `disposeState`) and still owns `s`.
 */
export function detachState(s: RecurrentState): RecurrentState {
  return s.c ? { h: tf.keep(detach(s.h)), c: tf.keep(detach(s.c)) } : { h: tf.keep(detach(s.h)) };
}
