import { checkOneOf, type Tensor } from '@recurrent/core';
import { CellBase, type CellOptions } from './cell-base';

/** One Elman RNN step, as `torch.nn.RNNCell`: x [B, I], h [B, H] -> h' [B, H]. */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(
    inputSize: number,
    hiddenSize: number,
    options: CellOptions & { nonlinearity?: 'tanh' | 'relu' } = {},
  ) {
    const nonlinearity = checkOneOf(
      'RNNCell',
      'options.nonlinearity',
      options.nonlinearity ?? 'tanh',
      ['tanh', 'relu'] as const,
    );
    super(
      'RNNCell',
      nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu',
      inputSize,
      hiddenSize,
      options,
    );
    this.nonlinearity = nonlinearity;
  }

  /** h' = act(W_ih x + b_ih + W_hh h + b_hh); h defaults to zeros. */
  forward(x: Tensor, h?: Tensor): Tensor {
    return this.stepFrom(x, { h }).h;
  }
}
