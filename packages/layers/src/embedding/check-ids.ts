import { DTypeError, InvalidArgumentError, VocabError, checkNotDisposed, type Tensor } from '@recurrent/core';

/**
 * Reads token ids and checks them before any tensor work: an int32 tensor whose values are in
 * [0, size). A float tensor is refused with a DTypeError naming its first non-integer value, an
 * id out of range with a VocabError naming the id and its position. Returns the ids.
 */
export function checkTokenIds(fn: string, argument: string, ids: Tensor, size: number): Int32Array {
  if (ids === null || typeof ids !== 'object' || typeof (ids as Tensor).dataSync !== 'function') {
    throw new InvalidArgumentError({
      fn,
      argument,
      expected: 'an int32 tensor of token ids',
      received: ids,
    });
  }
  checkNotDisposed(fn, argument, ids);
  if (ids.dtype !== 'int32') {
    const values = ids.dataSync() as ArrayLike<number>;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v)) {
        throw new DTypeError({
          fn,
          argument,
          expected: 'an int32 tensor of integer token ids',
          received: `${ids.dtype} tensor with non-integer id ${v} at index ${i}`,
        });
      }
    }
    throw new DTypeError({
      fn,
      argument,
      expected: 'an int32 tensor of token ids',
      received: `a ${ids.dtype} tensor`,
    });
  }
  const values = ids.dataSync() as Int32Array;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v >= size) {
      throw new VocabError({
        fn,
        argument,
        expected: `token ids in [0, ${size})`,
        received: `id ${v} at index ${i}`,
      });
    }
  }
  return values;
}
