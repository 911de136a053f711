import type { Tensor } from '@recurrent/core';
import { CellBase, type CellOptions } from './cell-base';

/** One LSTM step (gates i, f, g, o), as `torch.nn.LSTMCell`. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    super('LSTMCell', 'lstm', inputSize, hiddenSize, options);
  }

  /** x [B, I], {h, c} [B, H] each (zeros when absent) -> {h', c'}. */
  forward(x: Tensor, state?: { h?: Tensor; c?: Tensor }): { h: Tensor; c: Tensor } {
    const s = this.stepFrom(x, state);
    return { h: s.h, c: s.c! };
  }
}
