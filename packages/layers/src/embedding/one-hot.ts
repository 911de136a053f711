import { checkInt, tf, type Tensor } from '@recurrent/core';
import { checkTokenIds } from './check-ids';

/**
 * One-hot encoding of int32 token ids, as d2l's `F.one_hot(X, V).float()`:
 * ids [...] -> float32 [..., depth]. Ids outside [0, depth) are refused with a VocabError.
 */
export function oneHot(ids: Tensor, depth: number): Tensor {
  checkInt('oneHot', 'depth', depth);
  checkTokenIds('oneHot', 'ids', ids, depth);
  // Made as int32 and cast: tfjs-backend-wasm's OneHot writes int32 bits whatever dtype is asked.
  return tf.tidy(() => tf.cast(tf.oneHot(ids, depth), 'float32')); // [..., depth]
}
