import {
  checkInt,
  checkNumber,
  getRandom,
  rnnCellStep,
  ShapeError,
  tf,
  type Random,
  type Tensor,
} from '@recurrent/core';
import { checkTokenIds } from '../embedding/check-ids';
import { parameterFrom } from '../init/make-parameter';
import { normalTensor } from '../init/uniform';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import { unstack0 } from '../rnn/unstack';

export interface RNNScratchOptions {
  /** Output size of the head (default: numInputs, a language model over a one-hot vocabulary). */
  numOutputs?: number;
  /** Standard deviation of the N(0, σ²) initial weights (default 0.01, as d2l). */
  sigma?: number;
  random?: Random;
}

/**
 * The RNN language model of d2l's "from scratch" chapter, written with explicit parameters:
 * `H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)`, `O_t = H_t W_hq + b_q`, with W_xh [I, H], W_hh [H, H],
 * b_h [H], W_hq [H, Q], b_q [Q] (d2l's [in, out] layout). The step is the same `rnnCellStep` the
 * `RNN` layer uses, fed the transposed weights.
 */
export class RNNScratch extends Module {
  readonly numInputs: number;
  readonly numHiddens: number;
  readonly numOutputs: number;
  readonly W_xh: Parameter;
  readonly W_hh: Parameter;
  readonly b_h: Parameter;
  readonly W_hq: Parameter;
  readonly b_q: Parameter;

  constructor(numInputs: number, numHiddens: number, options: RNNScratchOptions = {}) {
    super();
    this.numInputs = checkInt('RNNScratch', 'numInputs', numInputs);
    this.numHiddens = checkInt('RNNScratch', 'numHiddens', numHiddens);
    this.numOutputs = checkInt('RNNScratch', 'options.numOutputs', options.numOutputs ?? numInputs);
    const sigma = checkNumber('RNNScratch', 'options.sigma', options.sigma ?? 0.01, { min: 0 });
    const random = options.random ?? getRandom();
    const param = (name: string, shape: number[], std: number): Parameter => {
      const p = parameterFrom(std > 0 ? normalTensor(shape, random, 0, std) : tf.zeros(shape));
      this.registerParameter(name, p);
      return p;
    };
    this.W_xh = param('W_xh', [numInputs, numHiddens], sigma);
    this.W_hh = param('W_hh', [numHiddens, numHiddens], sigma);
    this.b_h = param('b_h', [numHiddens], 0);
    this.W_hq = param('W_hq', [numHiddens, this.numOutputs], sigma);
    this.b_q = param('b_q', [this.numOutputs], 0);
  }

  /** The recurrence: inputs [T, B, I], h [B, H] (zeros when absent) -> outputs [T, B, H] and the last h. */
  rnn(inputs: Tensor, h?: Tensor): { outputs: Tensor; h: Tensor } {
    const fn = 'RNNScratch.rnn';
    if (inputs.shape.length !== 3 || inputs.shape[2] !== this.numInputs) {
      throw new ShapeError({
        fn,
        argument: 'inputs',
        expected: `of shape [T, B, ${this.numInputs}]`,
        received: [...inputs.shape],
      });
    }
    const [T, B] = inputs.shape as [number, number, number];
    if (T < 1)
      throw new ShapeError({
        fn,
        argument: 'inputs',
        expected: 'a sequence of at least one step',
        received: [...inputs.shape],
      });
    if (h && (h.shape.length !== 2 || h.shape[0] !== B || h.shape[1] !== this.numHiddens)) {
      throw new ShapeError({
        fn,
        argument: 'h',
        expected: `of shape [${B}, ${this.numHiddens}]`,
        received: [...h.shape],
      });
    }
    const r = tf.tidy(() => {
      const wIh = tf.transpose(this.W_xh.value); // [H, I]: PyTorch's layout
      const wHh = tf.transpose(this.W_hh.value); // [H, H]
      let state = h ?? tf.zeros([B, this.numHiddens]); // [B, H]
      const outputs: Tensor[] = [];
      for (const x of unstack0(inputs)) {
        state = rnnCellStep(x, state, wIh, wHh, this.b_h.value, null, 'tanh'); // [B, H]
        outputs.push(state);
      }
      return { outputs: tf.stack(outputs, 0), h: tf.clone(state) }; // [T, B, H]
    });
    return r;
  }

  /** The head on every step: hs [T, B, H] -> [B, T, Q]. */
  outputLayer(hs: Tensor): Tensor {
    return tf.tidy(() => {
      const [T, B, H] = hs.shape as [number, number, number];
      const o = tf.add(tf.matMul(tf.reshape(hs, [T * B, H]), this.W_hq.value), this.b_q.value); // [T*B, Q]
      return tf.transpose(tf.reshape(o, [T, B, this.numOutputs]), [1, 0, 2]); // [B, T, Q]
    });
  }

  /** A language model step over one-hot ids: ids int32 [B, T] -> logits [B, T, Q] and the last h. */
  forward(ids: Tensor, h?: Tensor): { logits: Tensor; h: Tensor } {
    if (ids.shape.length !== 2)
      throw new ShapeError({
        fn: 'RNNScratch.forward',
        argument: 'ids',
        expected: 'an int32 tensor of shape [B, T]',
        received: [...ids.shape],
      });
    checkTokenIds('RNNScratch.forward', 'ids', ids, this.numInputs);
    const r = tf.tidy(() => {
      const x = tf.cast(tf.oneHot(tf.transpose(ids), this.numInputs), 'float32'); // [T, B, V]
      const { outputs, h: last } = this.rnn(x, h);
      return { logits: this.outputLayer(outputs), h: last };
    });
    return r;
  }
}
