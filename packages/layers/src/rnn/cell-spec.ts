import {
  gruCellStep,
  gruCellStepProjected,
  lstmCellStep,
  lstmCellStepProjected,
  projectInput,
  rnnCellStep,
  rnnCellStepProjected,
  tf,
  type Tensor,
} from '@recurrent/core';
import { unstack0 } from './unstack';

/** PyTorch's modes: Elman RNN with tanh or relu, LSTM, GRU. */
export type CellMode = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

/** The state of one layer and direction: h [B, H] (and c [B, H] for LSTM). */
export interface CellState {
  h: Tensor;
  c?: Tensor;
}

/** The four tensors of one cell in PyTorch's layout: wIh [G*H, I], wHh [G*H, H], biases [G*H] or null. */
export interface CellWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

/**
 * What differs between RNN, LSTM and GRU: the number of gates, whether there is a cell state, and
 * the step. The steps are @recurrent/core's composed ops, shared by the cells and the layers.
 */
export interface CellSpec {
  readonly mode: CellMode;
  readonly gates: number;
  readonly hasCell: boolean;
  /** One step from the input x [B, I]. */
  step(x: Tensor, s: CellState, w: CellWeights): CellState;
  /** One step from the input projection xProj = x wIhᵀ + bIh [B, G*H]. */
  stepProjected(xProj: Tensor, s: CellState, w: CellWeights): CellState;
}

const rnnSpec = (nonlinearity: 'tanh' | 'relu'): CellSpec => ({
  mode: nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu',
  gates: 1,
  hasCell: false,
  step: (x, s, w) => ({ h: rnnCellStep(x, s.h, w.wIh, w.wHh, w.bIh, w.bHh, nonlinearity) }),
  stepProjected: (xp, s, w) => ({ h: rnnCellStepProjected(xp, s.h, w.wHh, w.bHh, nonlinearity) }),
});

export const CELL_SPECS: Record<CellMode, CellSpec> = {
  rnn_tanh: rnnSpec('tanh'),
  rnn_relu: rnnSpec('relu'),
  lstm: {
    mode: 'lstm',
    gates: 4,
    hasCell: true,
    step: (x, s, w) => lstmCellStep(x, s.h, s.c!, w.wIh, w.wHh, w.bIh, w.bHh),
    stepProjected: (xp, s, w) => lstmCellStepProjected(xp, s.h, s.c!, w.wHh, w.bHh),
  },
  gru: {
    mode: 'gru',
    gates: 3,
    hasCell: false,
    step: (x, s, w) => ({ h: gruCellStep(x, s.h, w.wIh, w.wHh, w.bIh, w.bHh) }),
    stepProjected: (xp, s, w) => ({ h: gruCellStepProjected(xp, s.h, w.wHh, w.bHh) }),
  },
};

/**
 * The composed reference for one direction of one layer: all input projections in one matmul,
 * then the step in a loop. x [T, B, I], s0 [B, H] each -> output [T, B, H] and the final state.
 */
export function runSequenceComposed(
  spec: CellSpec,
  x: Tensor,
  s0: CellState,
  w: CellWeights,
): { output: Tensor; state: CellState } {
  const r = tf.tidy(() => {
    const xProj = projectInput(x, w.wIh, w.bIh); // [T, B, G*H]
    const steps = unstack0(xProj); // T × [B, G*H]
    let s = s0;
    const hs: Tensor[] = [];
    for (const xp of steps) {
      s = spec.stepProjected(xp, s, w);
      hs.push(s.h);
    }
    const output = tf.stack(hs, 0); // [T, B, H]
    return s.c ? { output, h: s.h, c: s.c } : { output, h: s.h };
  });
  return { output: r.output, state: r.c ? { h: r.h, c: r.c } : { h: r.h } };
}
