import { checkOneOf, type Tensor } from '@recurrent/core';
import { RNNBase, type RNNBaseOptions } from './rnn-base';
import type { RecurrentState } from './state';

export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * Elman RNN, as `torch.nn.RNN`: `h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`.
 * x [T, B, I] ([B, T, I] when batchFirst) -> output [T, B, D*H], h [L*D, B, H].
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nonlinearity = checkOneOf('RNN', 'options.nonlinearity', options.nonlinearity ?? 'tanh', [
      'tanh',
      'relu',
    ] as const);
    super('RNN', nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  /** Runs the sequence from h0 [L*D, B, H] (zeros when absent). The caller disposes the results. */
  forward(x: Tensor, h0?: Tensor | RecurrentState): { output: Tensor; h: Tensor } {
    const state =
      h0 === undefined ? undefined : 'h' in h0 && !('shape' in h0) ? h0 : { h: h0 as Tensor };
    const r = this.forwardState(x, state);
    return { output: r.output, h: r.state.h };
  }
}
