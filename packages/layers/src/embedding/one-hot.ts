import { checkInt, tf, type Tensor } from '@recurrent/core';
import { checkTokenIds } from './check-ids';

/**
 * One-hot encoding of int32 token ids, as d2l's `F.one_hot(X, V).float()`:
 * ids [...] -> float32 [..., depth]. Ids outside [0, depth) are refused with a VocabError.
 */
export function oneHot(ids: Tensor, depth: number): Tensor {
  checkInt('oneHot', 'depth', depth);
  checkTokenIds('oneHot', 'ids', ids, depth);
  return tf.oneHot(ids, depth, 1, 0, 'float32'); // [..., depth]
}
