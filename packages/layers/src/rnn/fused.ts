import type { Tensor } from '@recurrent/core';
import type { CellMode, CellSpec, CellState, CellWeights } from './cell-spec';

/** Whether @recurrent/core has a whole-sequence op (custom-gradient BPTT) for this mode. */
export function hasFusedSequence(_mode: CellMode): boolean {
  return false;
}

/** Runs one direction of one layer through the whole-sequence op: x [T, B, I] -> output [T, B, H]. */
export function runSequenceFused(spec: CellSpec, _x: Tensor, _s0: CellState, _w: CellWeights): { output: Tensor; state: CellState } {
  throw new Error(`no fused sequence op for ${spec.mode}`);
}
