import type { Tensor } from '@recurrent/core';
import { RNNBase, type RNNBaseOptions } from './rnn-base';
import type { RecurrentState } from './state';

/**
 * GRU, as `torch.nn.GRU`: gates r, z, n stacked in that order in [3H, ·]; the reset gate multiplies
 * the hidden-side product including its bias (`n = tanh(W_in x + b_in + r·(W_hn h + b_hn))`);
 * `h' = (1 − z)·n + z·h`. x [T, B, I] -> output [T, B, D*H], h [L*D, B, H].
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super('GRU', 'gru', inputSize, hiddenSize, options);
  }

  /** Runs the sequence from h0 [L*D, B, H] (zeros when absent). The caller disposes the results. */
  forward(x: Tensor, h0?: Tensor | RecurrentState): { output: Tensor; h: Tensor } {
    const state =
      h0 === undefined ? undefined : 'h' in h0 && !('shape' in h0) ? h0 : { h: h0 as Tensor };
    const r = this.forwardState(x, state);
    return { output: r.output, h: r.state.h };
  }
}
