import {
  checkInt,
  getRandom,
  InvalidArgumentError,
  tf,
  type Random,
  type Tensor,
} from '@recurrent/core';
import { parameterFrom } from '../init/make-parameter';
import { normalTensor } from '../init/uniform';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import { checkTokenIds } from './check-ids';

export interface EmbeddingOptions {
  /** This row is initialised to zeros and never receives a gradient (PyTorch's `padding_idx`). */
  paddingIdx?: number | null;
  /** Source of the initial N(0, 1) values (default: the global `getRandom()`). */
  random?: Random;
}

/**
 * A lookup table of `numEmbeddings` rows of size `embeddingDim`, as `torch.nn.Embedding`:
 * `weight` [V, E] initialised from N(0, 1). Repeated ids accumulate their gradients into one row.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkInt('Embedding', 'numEmbeddings', numEmbeddings);
    checkInt('Embedding', 'embeddingDim', embeddingDim);
    let paddingIdx = options.paddingIdx ?? null;
    if (paddingIdx !== null) {
      // PyTorch accepts a negative index counted from the end.
      if (
        !Number.isInteger(paddingIdx) ||
        paddingIdx < -numEmbeddings ||
        paddingIdx >= numEmbeddings
      ) {
        throw new InvalidArgumentError({
          fn: 'Embedding',
          argument: 'options.paddingIdx',
          expected: `null or an integer in [-${numEmbeddings}, ${numEmbeddings})`,
          received: paddingIdx,
        });
      }
      if (paddingIdx < 0) paddingIdx += numEmbeddings;
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = paddingIdx;
    const init = normalTensor([numEmbeddings, embeddingDim], options.random ?? getRandom());
    if (paddingIdx !== null) {
      const data = init.dataSync() as Float32Array;
      data.fill(0, paddingIdx * embeddingDim, (paddingIdx + 1) * embeddingDim);
      init.dispose();
      this.weight = parameterFrom(tf.tensor(data, [numEmbeddings, embeddingDim], 'float32'));
    } else {
      this.weight = parameterFrom(init);
    }
    this.registerParameter('weight', this.weight);
  }

  /** ids: int32 of any shape [...] -> float32 [..., E]. */
  forward(ids: Tensor): Tensor {
    const values = checkTokenIds('Embedding.forward', 'ids', ids, this.numEmbeddings);
    const { numEmbeddings: V, embeddingDim: E, paddingIdx } = this;
    // gather's own gradient (UnsortedSegmentSum, which core registers for wasm), with the padding
    // row's gradient zeroed. The ids are re-made from the values read above: the caller may have
    // disposed the ids tensor by the time the gradient runs.
    const lookup = tf.customGrad((...inputs) => ({
      value: tf.gather(inputs[0] as Tensor, ids), // [..., E]
      gradFunc: (dy: Tensor) => {
        const dw = tf.unsortedSegmentSum(tf.reshape(dy, [-1, E]), tf.tensor1d(values, 'int32'), V); // [V, E]
        if (paddingIdx === null) return dw;
        const keep = tf.reshape(tf.oneHot(paddingIdx, V, 0, 1, 'float32'), [V, 1]); // [V, 1]
        return tf.mul(dw, keep); // [V, E]
      },
    }));
    return lookup(this.weight.value);
  }
}
