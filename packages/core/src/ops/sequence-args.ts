// Validation shared by the whole-sequence ops (runs before any tensor is made).
import type { Tensor } from '../runtime/tf';
import { InvalidArgumentError, ShapeError } from '../errors';
import { checkDType, checkRank } from '../validate';
import { checkBias, checkState } from './composed-cells';

/** Options of the whole-sequence ops. */
export interface SequenceOptions {
  /** Run from the last time step to the first (the reverse direction of a bidirectional layer). */
  reverse?: boolean;
}

export interface SequenceDims {
  T: number;
  B: number;
  I: number;
  H: number;
  /** The token ids when x is int32 [T, B] (one-hot input given by ids), else null. */
  ids: Int32Array | null;
}

/**
 * Checks the arguments of a whole-sequence op. x is float32 [T, B, I], or int32 token ids
 * [T, B] standing for their one-hot vectors of size I = wIh's columns (ids in [0, I)).
 */
export function checkSequenceArgs(
  fn: string,
  gates: number,
  x: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
): SequenceDims {
  const byIds = x?.dtype === 'int32';
  if (byIds) checkRank(fn, 'x', x, 2);
  else {
    checkRank(fn, 'x', x, 3);
    checkDType(fn, 'x', x, 'float32');
  }
  checkRank(fn, 'wHh', wHh, 2);
  const T = x.shape[0]!;
  const B = x.shape[1]!;
  const I = byIds ? (wIh.shape[1] ?? 0) : x.shape[2]!;
  const H = wHh.shape[1]!;
  const GH = gates * H;
  if (wHh.shape[0] !== GH || H < 1) {
    throw new ShapeError({
      fn,
      argument: 'wHh',
      expected: `of shape [${gates}*H, H]`,
      received: [...wHh.shape],
    });
  }
  if (wIh.shape.length !== 2 || wIh.shape[0] !== GH || wIh.shape[1] !== I) {
    throw new ShapeError({
      fn,
      argument: 'wIh',
      expected: `of shape [${GH}, ${I}]`,
      received: [...wIh.shape],
    });
  }
  checkState(fn, 'h0', h0, B, H);
  if (c0) checkState(fn, 'c0', c0, B, H);
  checkBias(fn, 'bIh', bIh, GH);
  checkBias(fn, 'bHh', bHh, GH);
  if (T < 1 || B < 1)
    throw new ShapeError({
      fn,
      argument: 'x',
      expected: 'a non-empty [T, B, I] tensor',
      received: [...x.shape],
    });
  let ids: Int32Array | null = null;
  if (byIds) {
    ids = x.dataSync() as Int32Array;
    for (let k = 0; k < ids.length; k++) {
      const v = ids[k]!;
      if (v < 0 || v >= I)
        throw new InvalidArgumentError({
          fn,
          argument: 'x',
          expected: `token ids in [0, ${I})`,
          received: `id ${v} at index ${k}`,
        });
    }
  }
  return { T, B, I, H, ids };
}

/** Named inputs of the fused node (biases only when present). */
export function sequenceInputs(
  x: Tensor,
  h0: Tensor,
  c0: Tensor | null,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = { x, h0, wIh, wHh };
  if (c0) inputs.c0 = c0;
  if (bIh) inputs.bIh = bIh;
  if (bHh) inputs.bHh = bHh;
  return inputs;
}
