import type { Tensor } from '@recurrent/core';
import { RNNBase, type RNNBaseOptions } from './rnn-base';
import type { RecurrentState } from './state';

/**
 * LSTM, as `torch.nn.LSTM`: gates i, f, g, o stacked in that order in [4H, ·];
 * `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
 * x [T, B, I] -> output [T, B, D*H], h and c [L*D, B, H].
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super('LSTM', 'lstm', inputSize, hiddenSize, options);
  }

  /** Runs the sequence from {h, c} [L*D, B, H] each (zeros when absent). The caller disposes the results. */
  forward(x: Tensor, state?: RecurrentState): { output: Tensor; h: Tensor; c: Tensor } {
    const r = this.forwardState(x, state);
    return { output: r.output, h: r.state.h, c: r.state.c! };
  }
}
