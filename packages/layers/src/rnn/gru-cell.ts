import type { Tensor } from '@recurrent/core';
import { CellBase, type CellOptions } from './cell-base';

/** One GRU step (gates r, z, n; reset after the hidden matmul), as `torch.nn.GRUCell`. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    super('GRUCell', 'gru', inputSize, hiddenSize, options);
  }

  /** x [B, I], h [B, H] (zeros when absent) -> h' [B, H]. */
  forward(x: Tensor, h?: Tensor): Tensor {
    return this.stepFrom(x, { h }).h;
  }
}
