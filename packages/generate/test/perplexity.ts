// The eval of expected.json: sequential windows without random offset, state carried, perplexity
// = exp(mean cross-entropy), the sum in double precision. Used by the parity test and script.
import { tf } from '@recurrent/core';
import type { GenerationModel } from '../src/index';

export function sequentialPerplexity(model: GenerationModel, ids: ArrayLike<number>, batchSize: number, numSteps: number): { perplexity: number; targets: number } {
  const N = ids.length;
  const S = Math.floor((N - 1) / batchSize); // columns per row
  const K = Math.floor(S / numSteps); // windows
  const V = model.config.vocabSize;
  let state = model.beginState(batchSize);
  let total = 0;
  let count = 0;
  for (let k = 0; k < K; k++) {
    const x = new Int32Array(batchSize * numSteps);
    const y = new Int32Array(batchSize * numSteps);
    for (let b = 0; b < batchSize; b++) {
      for (let t = 0; t < numSteps; t++) {
        const at = b * S + k * numSteps + t;
        x[b * numSteps + t] = ids[at]!;
        y[b * numSteps + t] = ids[at + 1]!;
      }
    }
    const xt = tf.tensor2d(x, [batchSize, numSteps], 'int32'); // [B, T]
    const out = model.forward(xt, state);
    const logp = tf.tidy(() => tf.logSoftmax(out.logits, -1)); // [B, T, V]
    const lp = logp.dataSync();
    for (let i = 0; i < y.length; i++) total -= lp[i * V + y[i]!]!;
    count += y.length;
    tf.dispose([xt, out.logits, logp, state.h, state.c as tf.Tensor].filter(Boolean));
    state = out.state;
  }
  tf.dispose([state.h, state.c as tf.Tensor].filter(Boolean));
  return { perplexity: Math.exp(total / count), targets: count };
}
