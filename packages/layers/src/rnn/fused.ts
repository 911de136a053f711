import { gruSequence, lstmSequence, rnnSequence, type Tensor } from '@recurrent/core';
import type { CellSpec, CellState, CellWeights } from './cell-spec';

/**
 * One direction of one layer through @recurrent/core's whole-sequence op: x [T, B, I] ->
 * output [T, B, H] (aligned with x also when `reverse`) and the final state [B, H].
 */
export function runSequenceFused(
  spec: CellSpec,
  x: Tensor,
  s0: CellState,
  w: CellWeights,
  reverse: boolean,
): { output: Tensor; state: CellState } {
  switch (spec.mode) {
    case 'lstm': {
      const r = lstmSequence(x, s0.h, s0.c!, w.wIh, w.wHh, w.bIh, w.bHh, { reverse });
      return { output: r.output, state: { h: r.h, c: r.c } };
    }
    case 'gru': {
      const r = gruSequence(x, s0.h, w.wIh, w.wHh, w.bIh, w.bHh, { reverse });
      return { output: r.output, state: { h: r.h } };
    }
    case 'rnn_tanh':
    case 'rnn_relu': {
      const nonlinearity = spec.mode === 'rnn_tanh' ? 'tanh' : 'relu';
      const r = rnnSequence(x, s0.h, w.wIh, w.wHh, w.bIh, w.bHh, { reverse, nonlinearity });
      return { output: r.output, state: { h: r.h } };
    }
  }
}
